/**
 * How the services built on the `EventSink` (performance, usage) validate their callers' input and record
 * events, each with its own invalid-input error: one decoder pair and one refusal mapping, not a copy per
 * service.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import type { InvalidEventError } from "../schemas/errors.js"
import type { JsonObject } from "../schemas/TelemetryEvent.js"
import type { EventSink } from "../services/EventSink.js"
import { firstIssue } from "./decode.js"

/** Builds a service's invalid-input error from the offending field's path and what is wrong with it. */
export type InvalidInput<E> = (fields: { readonly field: string; readonly message: string }) => E

/**
 * Validators of caller input that fail with the service's own error, naming the first offending field
 * under `root` (see `firstIssue`): `either` for hot paths that avoid an Effect per argument, `effect` to
 * `yield*`.
 */
export const inputDecoders = <E>(invalid: InvalidInput<E>) => {
  const either = <A, I>(schema: Schema.Schema<A, I>, root?: string): (input: unknown) => Either.Either<A, E> =>
    firstIssue(schema, (field, message) => invalid({ field, message }), root)
  const effect = <A, I>(schema: Schema.Schema<A, I>, root?: string): (input: unknown) => Effect.Effect<A, E> => {
    const run = either(schema, root)
    // An Either is an Effect: no fiber step is added.
    return (input) => run(input)
  }
  return { either, effect } as const
}

/** The first issue of an event the sink refused, as a field path (`"data"` when it names none) and a reason. */
export const refusal = (error: InvalidEventError): { readonly field: string; readonly message: string } => {
  const [issue] = error.issues
  return { field: issue === undefined ? "data" : issue.path.join("."), message: issue?.message ?? error.message }
}

/** An event a service records: its type, data and, when known, its user. */
export interface ServiceEvent {
  readonly type: string
  readonly data: JsonObject
  readonly userId?: string | undefined
}

const toTrackInput = ({ data, type, userId }: ServiceEvent) => userId === undefined ? { type, data } : { type, data, userId }

/**
 * How a service records through the sink: `track` for what a caller asked for (a refusal becomes the
 * service's invalid-input error), `trackQuietly` for what the service concluded itself (timeouts,
 * snapshots, timings): a refusal or defect is logged at debug level under `what` and never reaches a caller.
 */
export const eventRecorder = <E>(sink: EventSink["Type"], invalid: InvalidInput<E>, what: string) => {
  // `catchAllCause` rather than `mapError`: it costs no fiber step when the sink accepts (a measured hot path).
  const refused = (cause: Cause.Cause<InvalidEventError>): Effect.Effect<never, E> =>
    Effect.failCause(Cause.map(cause, (error) => invalid(refusal(error))))
  return {
    track: (event: ServiceEvent): Effect.Effect<void, E> => Effect.catchAllCause(sink.track(toTrackInput(event)), refused),
    trackQuietly: (event: ServiceEvent): Effect.Effect<void> =>
      Effect.catchAllCause(sink.track(toTrackInput(event)), (cause) => Effect.logDebug(`${what} not tracked`, cause))
  }
}


/**
 * Event data already redacted, each by the redactor that did it. Private to this module and keyed by the
 * data object itself: nothing a caller can set in the data vouches for it, and a mark is used at most once.
 */
const redactedBy = new WeakMap<object, object>()

/**
 * Marks `data` as the output of `redactor.redact`, so that a collector redacting with this same redactor
 * instance may keep it as it is. Only for data no caller code can reach before it is tracked.
 */
export const markRedacted = (data: object, redactor: object): void => {
  redactedBy.set(data, redactor)
}

/** Whether `data` was marked as redacted by this very `redactor`; the mark is consumed. */
export const takeRedactedBy = (data: object, redactor: object): boolean => {
  const by = redactedBy.get(data)
  if (by === undefined) return false
  redactedBy.delete(data)
  return by === redactor
}
