/**
 * The in-memory transport, for tests: it keeps every batch, and its inspector (`MemoryTransport`) reads
 * them and simulates failures. Its own module, so that the test wiring needs none of the other transports.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { TransportError } from "../schemas/errors.js"
import type { Batch, TelemetryEvent } from "../schemas/TelemetryEvent.js"
import { Transport, type TransportService } from "./TransportTag.js"

/**
 * Reads and steers the in-memory transport (`Transport.memory`): what it received, and failures to simulate.
 *
 * @since 0.2.0
 * @category tags
 */
export class MemoryTransport extends /* @__PURE__ */ Context.Tag("effect-telemetry/MemoryTransport")<MemoryTransport, {
  /** Every batch delivered so far, in order. */
  readonly batches: Effect.Effect<ReadonlyArray<Batch>>
  /** Every event delivered so far, in order. */
  readonly events: Effect.Effect<ReadonlyArray<TelemetryEvent>>
  /** Forget what was delivered. */
  readonly clear: Effect.Effect<void>
  /** Make every following `send` fail with this error, or succeed again with `undefined`. */
  readonly failWith: (error: TransportError | undefined) => Effect.Effect<void>
}>() {}

/** Builds the in-memory transport and its inspector (see `Transport.makeMemory`). */
export const makeMemory: Effect.Effect<readonly [TransportService, MemoryTransport["Type"]]> = Effect.gen(function*() {
  const delivered = yield* Ref.make<ReadonlyArray<Batch>>([])
  const failure = yield* Ref.make<TransportError | undefined>(undefined)
  const transport: TransportService = {
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
  return [transport, inspector] as const
})

/**
 * The in-memory transport and its inspector as a layer (`Transport.memory`).
 *
 * @internal
 */
export const layerMemory: Layer.Layer<Transport | MemoryTransport> = /* @__PURE__ */ Layer.effectContext(
  /* @__PURE__ */ Effect.map(makeMemory, ([transport, inspector]) =>
    Context.make(Transport, transport).pipe(Context.add(MemoryTransport, inspector)))
)
