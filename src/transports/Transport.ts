/**
 * Where batches of events go. The collector owns batching, retries and accounting; a transport makes
 * one delivery attempt and says, through `TransportError.retryable`, whether another may help.
 */
import { Console, Context, Effect, Either, Layer, Ref } from "effect"
import { redactUrlsIn } from "../internal/url.js"
import type { Batch, TelemetryEvent } from "../schemas/TelemetryEvent.js"
import { TransportError } from "../schemas/errors.js"

/** Delivers batches of events somewhere. */
export class Transport extends Context.Tag("effect-telemetry/Transport")<Transport, {
  /** Deliver one batch; fails only with a `TransportError` saying whether a retry may help. */
  readonly send: (batch: Batch) => Effect.Effect<void, TransportError>
}>() {}

/** Reads and steers the in-memory transport: what it received, and failures to simulate. */
export class MemoryTransport extends Context.Tag("effect-telemetry/MemoryTransport")<MemoryTransport, {
  /** Every batch delivered so far, in order. */
  readonly batches: Effect.Effect<ReadonlyArray<Batch>>
  /** Every event delivered so far, in order. */
  readonly events: Effect.Effect<ReadonlyArray<TelemetryEvent>>
  /** Forget what was delivered. */
  readonly clear: Effect.Effect<void>
  /** Make every following `send` fail with this error, or succeed again with `undefined`. */
  readonly failWith: (error: TransportError | undefined) => Effect.Effect<void>
}>() {}

/** Builds the in-memory transport and its inspector. */
export const makeMemory: Effect.Effect<[Transport["Type"], MemoryTransport["Type"]]> = Effect.gen(function*() {
  const delivered = yield* Ref.make<ReadonlyArray<Batch>>([])
  const failure = yield* Ref.make<TransportError | undefined>(undefined)
  const transport: Transport["Type"] = {
    send: (batch) =>
      Ref.get(failure).pipe(
        Effect.flatMap((error) =>
          error === undefined ? Ref.update(delivered, (batches) => [...batches, batch]) : Effect.fail(error)
        )
      )
  }
  const inspector: MemoryTransport["Type"] = {
    batches: Ref.get(delivered),
    events: Effect.map(Ref.get(delivered), (batches) => batches.flatMap((batch) => batch.events)),
    clear: Ref.set(delivered, []),
    failWith: (error) => Ref.set(failure, error)
  }
  return [transport, inspector]
})

/** A transport that keeps every batch in memory, inspectable through `MemoryTransport`. */
export const layerMemoryTransport: Layer.Layer<Transport | MemoryTransport> = Layer.effectContext(
  Effect.map(makeMemory, ([transport, inspector]) =>
    Context.make(Transport, transport).pipe(Context.add(MemoryTransport, inspector)))
)

/**
 * A thrown value as text for a failure message, an `Error` as `name: message` (or its message alone);
 * never throws itself, as `String(Object.create(null))` does.
 *
 * @internal
 */
export const describeThrown = (thrown: unknown, withName = true): string => {
  try {
    return thrown instanceof Error ? (withName ? `${thrown.name}: ${thrown.message}` : thrown.message) : String(thrown)
  } catch {
    return "an unprintable value"
  }
}

/**
 * A batch or event id for a failure message: as is when it is short printable ASCII (a UUID), else
 * JSON-quoted and cut short, so an id from an edited outbox cannot break or forge a log line.
 *
 * @internal
 */
export const showId = (id: unknown): string => {
  if (typeof id === "string" && /^[\x21-\x7e]{1,100}$/.test(id)) return id
  let shown: string
  try {
    shown = JSON.stringify(id) ?? String(id)
  } catch {
    shown = describeThrown(id)
  }
  return shown.length > 100 ? `${shown.slice(0, 100)}…` : shown
}

/**
 * A batch as JSON lines, one per event, or an `encode` failure naming the batch and the first event that
 * cannot be written as JSON. Never throws (a `BigInt`, a cycle or a throwing getter included).
 *
 * @internal
 */
export const encodeJsonLines = (batch: Batch): Either.Either<ReadonlyArray<string>, TransportError> => {
  const lines: Array<string> = []
  for (const event of batch.events) {
    try {
      lines.push(JSON.stringify(event))
    } catch (cause) {
      return Either.left(
        new TransportError({
          reason: "encode",
          retryable: false,
          message: `cannot encode batch ${showId(batch.batchId)}: event ${showId(event?.id)}: ${describeThrown(cause)}`,
          cause
        })
      )
    }
  }
  return Either.right(lines)
}

/** A transport that prints each event as one JSON line through Effect's `Console`; an unencodable batch prints nothing. */
export const layerConsoleTransport: Layer.Layer<Transport> = Layer.succeed(Transport, {
  send: (batch) =>
    Effect.suspend(() => {
      const lines = encodeJsonLines(batch)
      return Either.isLeft(lines)
        ? Effect.fail(lines.left)
        : Effect.forEach(lines.right, (line) => Console.log(line), { discard: true })
    })
})

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"

/**
 * A transport that calls your function with each batch. A rejected promise (or thenable), a thrown value or
 * a defect counts as a retryable `io` failure; fail with a `TransportError` yourself to say otherwise.
 */
export const layerFunctionTransport = (
  send: (batch: Batch) => Effect.Effect<void, TransportError> | PromiseLike<void> | void
): Layer.Layer<Transport> =>
  Layer.succeed(Transport, {
    send: (batch) =>
      Effect.suspend((): Effect.Effect<void, unknown> => {
        const result: unknown = send(batch)
        return Effect.isEffect(result)
          ? Effect.asVoid(result as Effect.Effect<unknown, unknown>)
          : isPromiseLike(result)
          ? Effect.tryPromise({ try: () => Promise.resolve(result), catch: (cause) => cause })
          : Effect.void
      }).pipe(
        // Plain-JS callers can fail with anything: whatever it is becomes a TransportError.
        Effect.mapError(customFailure),
        Effect.catchAllDefect((defect) => Effect.fail(customFailure(defect)))
      )
  })

const customFailure = (cause: unknown): TransportError =>
  cause instanceof TransportError ? cause : new TransportError({
    reason: "io",
    retryable: true,
    // The function's own error may quote a URL it called, credentials and all.
    message: `custom transport failed: ${redactUrlsIn(describeThrown(cause, false))}`,
    cause
  })
