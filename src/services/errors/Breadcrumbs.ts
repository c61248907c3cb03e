/**
 * The breadcrumb ring: what happened before an error, each crumb bounded, copied as plain JSON and
 * redacted before it is stored (again after `beforeBreadcrumb`), the oldest dropped beyond the bound.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { Breadcrumb, Severity } from "../../schemas/ErrorEvents.js"
import { severityRank } from "../../schemas/ErrorEvents.js"
import type { Redactor } from "../Redactor.js"
import { bounded, maxBreadcrumbMessage, maxLabelLength } from "./Bounds.js"
import { toJsonObject } from "./ErrorValues.js"
import { runHook } from "./Options.js"

/** A breadcrumb as given to `addBreadcrumb`; the rest is filled in. */
export interface BreadcrumbInput {
  readonly message: string
  /** Default `default`. */
  readonly category?: string
  /** Default `INFO`. */
  readonly level?: Severity
  /** Copied as JSON and redacted. */
  readonly data?: Readonly<Record<string, unknown>>
  /** Default: the `Clock` time. */
  readonly timestamp?: number
}

/** The ring of one ErrorTracking service. */
export interface Breadcrumbs {
  /** Records a breadcrumb (after `beforeBreadcrumb`), dropping the oldest beyond the bound; never fails. */
  readonly add: (breadcrumb: BreadcrumbInput) => Effect.Effect<void>
  /** The breadcrumbs kept, oldest first. */
  readonly all: Effect.Effect<ReadonlyArray<Breadcrumb>>
  readonly clear: Effect.Effect<void>
}

const isTimestamp = (t: unknown): t is number => typeof t === "number" && Number.isFinite(t) && t >= 0

/** Whether a value is one of the severities. */
export const isSeverity = (level: unknown): level is Severity =>
  typeof level === "string" && Object.hasOwn(severityRank, level)

/** An empty ring of at most `max` breadcrumbs (`0` keeps none). */
export const makeBreadcrumbs = (
  max: number,
  beforeBreadcrumb: ((breadcrumb: Breadcrumb) => Breadcrumb | undefined) | undefined,
  redactor: Redactor["Type"]
): Effect.Effect<Breadcrumbs> =>
  Effect.map(Ref.make(Chunk.empty<Breadcrumb>()), (crumbs) => {
    /** A breadcrumb as stored: each field checked, bounded and redacted, its data a plain JSON copy. */
    const toStored = (input: BreadcrumbInput | Breadcrumb, timestamp: number): Breadcrumb => {
      const crumb: { -readonly [K in keyof Breadcrumb]: Breadcrumb[K] } = {
        timestamp,
        category: typeof input.category === "string"
          ? redactor.redactString(bounded(input.category, maxLabelLength))
          : "default",
        message: redactor.redactString(bounded(String(input.message), maxBreadcrumbMessage)),
        level: isSeverity(input.level) ? input.level : "INFO"
      }
      if (input.data !== undefined) crumb.data = redactor.redact(toJsonObject(input.data, 4))
      return crumb
    }

    const add = (input: BreadcrumbInput): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (max === 0) return
        const timestamp = isTimestamp(input.timestamp) ? input.timestamp : yield* Clock.currentTimeMillis
        let stored = toStored(input, timestamp)
        if (beforeBreadcrumb !== undefined) {
          const kept = yield* runHook("beforeBreadcrumb", beforeBreadcrumb, stored)
          if (Option.isNone(kept)) return
          // The hook may put back raw text, non-JSON data or a bad time: what it returns is checked again,
          // or every later event carrying it would be refused.
          const edited = kept.value as unknown
          if (typeof edited === "object" && edited !== null) {
            const e = edited as Breadcrumb
            stored = toStored(e, isTimestamp(e.timestamp) ? e.timestamp : timestamp)
          }
        }
        yield* Ref.update(crumbs, (ring) => {
          const next = Chunk.append(ring, stored)
          return Chunk.size(next) > max ? Chunk.takeRight(next, max) : next
        })
      }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("ErrorTracking failed to add a breadcrumb", cause))
      )

    return {
      add,
      // One fiber step (every capture reads it), where `Effect.map(Ref.get(…))` takes three.
      all: Ref.modify(crumbs, (ring) => [Chunk.toReadonlyArray(ring), ring]),
      clear: Ref.set(crumbs, Chunk.empty())
    }
  })
