/**
 * What became of each capture and each `error.*` event: the counters by outcome, and sending through the
 * `EventSink`, where a refusal or a failure is logged, counted and answered — never raised.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { CaptureOutcome, ErrorTrackingStats } from "../../schemas/ErrorEvents.js"
import type { EventInput, JsonObject } from "../../schemas/TelemetryEvent.js"
import type { EventSink } from "../EventSink.js"
import type { Redactor } from "../Redactor.js"
import { bounded, maxReasonLength } from "./Bounds.js"
import { messageOf } from "./ErrorValues.js"

/** The counters of `stats` that count outcomes. */
export type Counters = Pick<
  ErrorTrackingStats,
  "captured" | "sent" | "suppressed" | "ignored" | "droppedByBeforeSend" | "refused" | "failed" | "trackFailures"
>

/** Every counter at zero. */
export const noCounters: Counters = {
  captured: 0,
  sent: 0,
  suppressed: 0,
  ignored: 0,
  droppedByBeforeSend: 0,
  refused: 0,
  failed: 0,
  trackFailures: 0
}

/** The counter of each outcome. */
const outcomeCounter = {
  sent: "sent",
  suppressed: "suppressed",
  ignored: "ignored",
  dropped: "droppedByBeforeSend",
  refused: "refused",
  failed: "failed"
} as const satisfies Record<CaptureOutcome, keyof Counters>

/** What became of one tracked event. */
export type Delivery =
  | { readonly outcome: "sent" }
  | { readonly outcome: "refused" | "failed"; readonly reason: string }

const succeedDelivered: Effect.Effect<Delivery> = Effect.succeed({ outcome: "sent" })

/** Who an event is about, beside its data. */
export interface EventExtra {
  readonly userId?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
}

/** The counters and the sending of one ErrorTracking service. */
export interface Outcomes {
  readonly counters: Ref.Ref<Counters>
  /** Counts one captured error and its outcome, in one update. */
  readonly tally: (outcome: CaptureOutcome) => Effect.Effect<void>
  /** Tracks an event; a refusal or failure is logged, counted and answered, never raised. */
  readonly send: (type: string, data: JsonObject, extra: EventExtra) => Effect.Effect<Delivery>
  /** Why a capture or a track failed, redacted and bounded: it is handed back to the caller. */
  readonly reasonOf: (error: unknown) => string
}

/** Counters at zero over the sink and the redactor. */
export const makeOutcomes = (sink: EventSink["Type"], redactor: Redactor["Type"]): Effect.Effect<Outcomes> =>
  Effect.map(Ref.make<Counters>(noCounters), (counters) => {
    const countTrackFailure = Ref.update(counters, (c) => ({ ...c, trackFailures: c.trackFailures + 1 }))
    const tally = (outcome: CaptureOutcome) =>
      Ref.update(counters, (c) => {
        // Copied, then bumped: a computed key in the literal measured slower on the capture hot path.
        const next = { ...c }
        next.captured++
        next[outcomeCounter[outcome]]++
        return next
      })
    const reasonOf = (error: unknown) => bounded(redactor.redactString(messageOf(error)), maxReasonLength)
    const send = (type: string, data: JsonObject, extra: EventExtra): Effect.Effect<Delivery> => {
      const input: { -readonly [K in keyof EventInput]: EventInput[K] } = { type, data }
      if (extra.userId !== undefined) input.userId = extra.userId
      if (extra.tags !== undefined) input.tags = extra.tags
      // One step for both ends, where `as` + `catchAllCause` take three when the sink accepts.
      return Effect.matchCauseEffect(sink.track(input), {
        onSuccess: () => succeedDelivered,
        onFailure: (cause) => {
          // `track` fails only when it refuses the event; anything else is the collector failing.
          const refusal = Cause.failureOption(cause)
          const delivery: Delivery = Option.isSome(refusal)
            ? { outcome: "refused", reason: reasonOf(refusal.value) }
            : { outcome: "failed", reason: reasonOf(Cause.squash(cause)) }
          return countTrackFailure.pipe(
            Effect.zipRight(Effect.logWarning("ErrorTracking could not track an event", cause)),
            Effect.annotateLogs({ eventType: type }),
            Effect.as(delivery)
          )
        }
      })
    }
    return { counters, tally, send, reasonOf }
  })
