/**
 * Where batches of events go. The collector owns batching, retries and accounting; a transport makes
 * one delivery attempt and says, through `TransportError.retryable`, whether another may help.
 */
import { Console, Context, Effect, Layer, Ref } from "effect"
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

/** A transport that prints each event as one JSON line through Effect's `Console`. */
export const layerConsoleTransport: Layer.Layer<Transport> = Layer.succeed(Transport, {
  send: (batch) =>
    Effect.forEach(batch.events, (event) => Console.log(JSON.stringify(event)), { discard: true })
})

/**
 * A transport that calls your function with each batch. A rejected promise or a thrown error counts as a
 * retryable failure; fail with a `TransportError` yourself to say otherwise.
 */
export const layerFunctionTransport = (
  send: (batch: Batch) => Effect.Effect<void, TransportError> | Promise<void> | void
): Layer.Layer<Transport> =>
  Layer.succeed(Transport, {
    send: (batch) =>
      Effect.suspend(() => {
        const result = send(batch)
        return Effect.isEffect(result)
          ? result
          : result instanceof Promise
          ? Effect.tryPromise({ try: () => result, catch: customFailure })
          : Effect.void
      }).pipe(
        Effect.catchAllDefect((defect) => Effect.fail(customFailure(defect)))
      )
  })

const customFailure = (cause: unknown): TransportError =>
  cause instanceof TransportError ? cause : new TransportError({
    reason: "io",
    retryable: true,
    message: `custom transport failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause
  })
