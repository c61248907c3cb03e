/**
 * The collector's hot path, `track`: validate → consent → sample → enrich → redact → buffer. It runs for
 * every event, so it is synchronous and allocates one small record per event (see `pending.ts`).
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import { InvalidEventError } from "../../schemas/errors.js"
import { validateEvent, validateEventFast } from "../../schemas/EventValidation.js"
import { type EventInput, type JsonObject, spanIdPattern, traceIdPattern } from "../../schemas/TelemetryEvent.js"
import type { Session } from "../../services/EventSink.js"
import type { Redactor } from "../../services/Redactor.js"
import type { Sampler } from "../../services/Sampler.js"
import { describeThrown } from "../../transports/internal/failureText.js"
import { define } from "../json.js"
import { takeRedactedBy } from "../recording.js"
import type { Counters } from "./accounting.js"
import type { BufferedEvent, Pending } from "./pending.js"

/**
 * What `track` reads for every event: whether to collect, and the session to attribute to. Plain mutable
 * fields, not `Ref`s: a measured hot path (`npm run bench`), where a Ref read per event would cost more than
 * the rest of the pipeline. Written only inside synchronous blocks (`sessions.ts`).
 */
export interface Current {
  enabled: boolean
  session: Session
}

/** The global context every event gets; none by default. */
export interface ContextOptions {
  readonly release?: Option.Option<string> | undefined
  readonly environment?: Option.Option<string> | undefined
  readonly globalTags?: { readonly [name: string]: string } | undefined
}

/** The hot path's dependencies. */
export interface IntakeDeps {
  readonly clock: Clock.Clock
  readonly sampler: Sampler["Type"]
  readonly redactor: Redactor["Type"]
  readonly pending: Pending
  readonly counters: Counters
  /** Counts one event accepted into the buffer (`Accounting.countAccepted`). */
  readonly countAccepted: (type: string) => void
  readonly current: Current
  /** Called after each event buffered, with the buffer's length (wakes the flush loop). */
  readonly buffered: (length: number) => void
}

/** `track` and what the session functions record through. */
export interface Intake {
  /** Validates any input, then records it; fails (counting it `invalid`) when the input is invalid. */
  readonly track: (input: unknown) => Effect.Effect<void, InvalidEventError>
  /** Records valid input: counted `tracked`, then `disabled`, `sampledOut` or buffered. */
  readonly ingest: (input: EventInput) => Effect.Effect<void>
  /** Records one of the collector's own events (`session.start`, …). */
  readonly trackInternal: (type: string, data: JsonObject) => Effect.Effect<void>
}

const emptyData: JsonObject = Object.freeze({})

/** The trace and span an event belongs to, as buffered beside its `BufferedEvent` fields. */
export interface Correlation {
  readonly traceId: string | undefined
  readonly spanId: string | undefined
}

/**
 * The ids of the fiber's current span (an Effect span or an `ExternalSpan`), when both are W3C-shaped: a
 * disabled tracer's span (`noop`) or an external span with other ids correlates nothing. The last span
 * checked is remembered, since events tracked in one span check it once.
 */
export const makeSpanIds = (): (span: Tracer.AnySpan | undefined) => Tracer.AnySpan | undefined => {
  let last: Tracer.AnySpan | undefined
  let lastValid = false
  return (span) => {
    if (span === undefined) return undefined
    if (span !== last) {
      last = span
      lastValid = traceIdPattern.test(span.traceId) && spanIdPattern.test(span.spanId)
    }
    return lastValid ? span : undefined
  }
}

/** The most tags an event may carry (the `Tags` schema's limit, which the HTTP transport re-validates). */
export const maxTags = 32

/**
 * The tags every event gets: `release`, `environment`, then the global tags, at most `maxTags`, in that
 * order of precedence.
 */
export const contextTagsOf = (options: ContextOptions): ReadonlyArray<readonly [string, string]> => {
  const tags = new Map<string, string>()
  if (options.release !== undefined && Option.isSome(options.release)) tags.set("release", options.release.value)
  if (options.environment !== undefined && Option.isSome(options.environment)) {
    tags.set("environment", options.environment.value)
  }
  for (const [name, value] of Object.entries(options.globalTags ?? {})) {
    if (tags.size >= maxTags) break
    if (!tags.has(name)) tags.set(name, value)
  }
  return [...tags]
}

/** The error for input that throws when read. */
export const unreadableInput = (thrown: unknown): InvalidEventError =>
  new InvalidEventError({ issues: [{ path: [], message: `input cannot be read: ${describeThrown(thrown, false)}` }] })

/** The hot path over the given state. */
export const make = (options: ContextOptions, deps: IntakeDeps): Intake => {
  const { buffered, clock, countAccepted, counters, current, pending, redactor, sampler } = deps
  // The global context, redacted once like any tag. Events without tags of their own share one frozen
  // object (no allocation on the hot path); only events with tags pay for a merge.
  const contextEntries = Object.entries(redactor.redact(Object.fromEntries(contextTagsOf(options))))
  const contextTags: { readonly [key: string]: string } | undefined = contextEntries.length === 0
    ? undefined
    : Object.freeze(Object.fromEntries(contextEntries))
  /** The event's own tags first (they win a clash), then the context while fewer than `maxTags`. */
  const withContext = (own: { readonly [key: string]: string }): { readonly [key: string]: string } => {
    if (contextTags === undefined) return own
    const merged: Record<string, string> = { ...own }
    let room = maxTags - Object.keys(merged).length
    for (const [name, value] of contextEntries) {
      if (room <= 0) break
      if (Object.hasOwn(merged, name)) continue
      define(merged, name, value)
      room--
    }
    return merged
  }

  const correlated = makeSpanIds()

  const accept = (input: EventInput, currentSpan: Tracer.AnySpan | undefined): void => {
    countAccepted(input.type)
    const session = current.session
    // Ids the input gives win, as a pair: a trace id from one span is never mixed with another's span id.
    const given = input.traceId !== undefined || input.spanId !== undefined
    const span = given ? undefined : correlated(currentSpan)
    const seq = pending.nextSeq()
    const timestamp = input.timestamp ?? clock.unsafeCurrentTimeMillis()
    const userId = input.userId === undefined ? session.userId : redactor.pseudonymize(input.userId)
    // Data this redactor already redacted (an error capture's) is not walked twice; anything else is.
    const data = input.data === undefined
      ? emptyData
      : takeRedactedBy(input.data, redactor)
      ? input.data
      : redactor.redact(input.data)
    const tags = input.tags === undefined ? contextTags : withContext(redactor.redact(input.tags))
    const traceId = given ? input.traceId : span?.traceId
    const spanId = given ? input.spanId : span?.spanId
    // Uncorrelated events keep the smaller record (one shape on the measured hot path).
    const event: BufferedEvent | BufferedEvent & Correlation = traceId === undefined && spanId === undefined
      ? { seq, type: input.type, timestamp, sessionId: session.id, userId, data, tags }
      : { seq, type: input.type, timestamp, sessionId: session.id, userId, data, tags, traceId, spanId }
    if (pending.buffer.push(event) !== undefined) counters.bufferOverflow++
    buffered(pending.buffer.length)
  }

  const record = (input: EventInput, span: Tracer.AnySpan | undefined): Effect.Effect<void> => {
    counters.tracked++
    if (!current.enabled) {
      counters.disabled++
      return Effect.void
    }
    if (sampler.unsafeShouldSample(input.type)) accept(input, span)
    else counters.sampledOut++
    return Effect.void
  }

  // `fiber.currentSpan` is a field read: `Effect.currentSpan` would build a `NoSuchElementException` per event
  // tracked outside a span.
  const ingest = (input: EventInput): Effect.Effect<void> =>
    Effect.withFiberRuntime((fiber) => record(input, fiber.currentSpan))

  const track = (input: unknown): Effect.Effect<void, InvalidEventError> =>
    Effect.withFiberRuntime((fiber) => {
      let fast: EventInput | undefined
      let valid: Either.Either<EventInput, InvalidEventError> | undefined
      try {
        fast = validateEventFast(input)
        if (fast === undefined) valid = validateEvent(input)
      } catch (thrown) {
        // A getter or a Proxy trap that throws makes the input invalid, not the caller's program defective.
        valid = Either.left(unreadableInput(thrown))
      }
      if (valid === undefined) return record(fast!, fiber.currentSpan)
      if (Either.isLeft(valid)) {
        counters.invalid++
        return Effect.fail(valid.left)
      }
      return record(valid.right, fiber.currentSpan)
    })

  const trackInternal = (type: string, data: JsonObject) => ingest({ type, data })

  return { track, ingest, trackInternal }
}
