/**
 * The collector's books: where every event went. At every moment
 * `accepted = sent + buffered + outboxed + dropped.total`, and
 * `tracked = (accepted - restored) + sampledOut + disabled`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Fn from "effect/Function"
import { type EventKind, kindOf } from "../../schemas/TelemetryEvent.js"
import type { Outbox, PutResult } from "../../services/Outbox.js"

/**
 * Where every event went. At every moment `accepted = sent + buffered + outboxed + dropped.total`, and
 * `tracked = (accepted - restored) + sampledOut + disabled`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Stats {
  /** Valid events passed to `track`, kept or not. */
  readonly tracked: number
  /** Inputs refused with an `InvalidEventError`. */
  readonly invalid: number
  /** Valid events ignored because telemetry is disabled or the user opted out. */
  readonly disabled: number
  /** Valid events the sampler discarded. */
  readonly sampledOut: number
  /** Events that entered the pipeline: tracked into the buffer, plus `restored`. */
  readonly accepted: number
  /** Events found in the outbox at start-up, left by an earlier run. */
  readonly restored: number
  /** `accepted` in this run by kind (`restored` events are not counted here). */
  readonly acceptedByKind: { readonly [K in EventKind]: number }
  /** Events a transport confirmed. */
  readonly sent: number
  /** Events waiting in the buffer or in a send under way. */
  readonly buffered: number
  /** Events stored in the outbox, waiting to be re-sent. */
  readonly outboxed: number
  /** Whether the receiver is considered down (batches go to the outbox until a probe succeeds). */
  readonly offline: boolean
  /** Batches a transport confirmed. */
  readonly batches: number
  readonly dropped: {
    /** Evicted, oldest first, when the buffer was full. */
    readonly bufferOverflow: number
    /**
     * Refused by the receiver, never retried: a batch answered with a status no retry can change (for HTTP
     * a 4xx other than 408/413/429; for OTLP any but 429/502/503/504), or the events an OTLP
     * `partialSuccess` names as rejected.
     */
    readonly rejected: number
    /** Evicted, oldest first, from a full outbox. */
    readonly outboxFull: number
    /** Found corrupt or unreadable in the outbox. */
    readonly corrupted: number
    /** Neither delivered nor storable (larger than the outbox, or storage failing). */
    readonly sendFailed: number
    /** Events the transport could not encode (or that made it fail unexpectedly), isolated from their batch. */
    readonly unencodable: number
    /** Removed by `eraseUserData`. */
    readonly erased: number
    readonly total: number
  }
}

/**
 * The counters behind `Stats`. Plain mutable fields, not `Ref`s: `track` bumps them for every event, a
 * measured hot path (`npm run bench`), where a Ref round trip per counter would cost more than the rest of
 * the pipeline. They change only inside synchronous blocks (`Effect.sync`, `commit`), never across a yield.
 */
export interface Counters {
  tracked: number
  invalid: number
  disabled: number
  sampledOut: number
  /** Accepted by `track` in this run (`Stats.accepted` adds `restored`). */
  accepted: number
  /** `accepted` by kind. */
  readonly acceptedByKind: Record<EventKind, number>
  restored: number
  /** The outbox's size as of the last step (see `commit`). */
  outboxed: number
  sent: number
  batches: number
  bufferOverflow: number
  rejected: number
  outboxFull: number
  corrupted: number
  sendFailed: number
  unencodable: number
  erased: number
}

/** The books of one collector. */
export interface Accounting {
  readonly counters: Counters
  /**
   * Ends a step that moved events (between the buffer, the outbox, `sent` and `dropped`): `f` updates the
   * counters, and the outbox's size is read into `outboxed` in the same synchronous block. Only this
   * collector changes its outbox, one step at a time, so a snapshot — which reads the counters alone —
   * always sees the books between two steps, never half-way through one, and never has to wait for one.
   */
  readonly commit: (f?: () => void) => Effect.Effect<void>
  /** Counts what an outbox write evicted (`outboxFull`) or could not take (`sendFailed`); call inside `commit`. */
  readonly countPut: (result: PutResult) => void
  /** Counts one event accepted into the buffer: `accepted` and its kind's count. */
  readonly countAccepted: (type: string) => void
  /** The books now, given the events held in memory (buffered or in flight) and whether the receiver is down. */
  readonly snapshot: (buffered: number, offline: boolean) => Stats
}

/** Why events are dropped: the counts of `Stats.dropped` but its `total`. */
export const dropReasons = ["bufferOverflow", "rejected", "outboxFull", "corrupted", "sendFailed", "unencodable", "erased"] as const

/** How many event types' kinds the books remember; others are derived per event. */
const maxKnownTypes = 1024

/** Books starting with `restored` events found in the outbox. */
export const make = (outbox: Pick<Outbox["Type"], "size">, restored: number): Accounting => {
  const counters: Counters = {
    tracked: 0,
    invalid: 0,
    disabled: 0,
    sampledOut: 0,
    accepted: 0,
    acceptedByKind: { custom: 0, session: 0, performance: 0, usage: 0, error: 0, health: 0 },
    restored,
    outboxed: restored,
    sent: 0,
    batches: 0,
    bufferOverflow: 0,
    rejected: 0,
    outboxFull: 0,
    corrupted: 0,
    sendFailed: 0,
    unencodable: 0,
    erased: 0
  }
  const commit = (f: () => void = Fn.constVoid): Effect.Effect<void> =>
    Effect.flatMap(outbox.size, (size) =>
      Effect.sync(() => {
        f()
        counters.outboxed = size.events
      }))
  // Event types repeat: their kinds are remembered (up to `maxKnownTypes`) so the hot path slices no string.
  const kinds = new Map<string, EventKind>()
  const countAccepted = (type: string): void => {
    counters.accepted++
    let kind = kinds.get(type)
    if (kind === undefined) {
      kind = kindOf(type)
      if (kinds.size < maxKnownTypes) kinds.set(type, kind)
    }
    counters.acceptedByKind[kind]++
  }
  const countPut = (result: PutResult): void => {
    counters.outboxFull += result.evicted
    counters.sendFailed += result.refused
  }
  const snapshot = (buffered: number, offline: boolean): Stats => {
    const c = counters
    const dropped = {} as { -readonly [K in keyof Stats["dropped"]]: number }
    let total = 0
    for (const reason of dropReasons) total += dropped[reason] = c[reason]
    dropped.total = total
    return {
      tracked: c.tracked,
      invalid: c.invalid,
      disabled: c.disabled,
      sampledOut: c.sampledOut,
      accepted: c.accepted + c.restored,
      restored: c.restored,
      acceptedByKind: { ...c.acceptedByKind },
      sent: c.sent,
      buffered,
      outboxed: c.outboxed,
      batches: c.batches,
      offline,
      dropped
    }
  }
  return { counters, commit, countAccepted, countPut, snapshot }
}
