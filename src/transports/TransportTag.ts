/**
 * The `Transport` tag without its constructors. The collector and the layers yield this one, so a bundle
 * that only needs the tag does not keep every transport `Transport`'s statics reach (a class that is
 * used keeps all of its statics). The public `Transport` extends it: both have the key
 * `effect-telemetry/Transport`, which is what a `Context` is looked up by, so they are the same tag.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { TransportError } from "../schemas/errors.js"
import type { Batch } from "../schemas/TelemetryEvent.js"

/**
 * What a receiver said of a batch it accepted only in part (an OTLP `partialSuccess`): how many of its
 * events it `rejected` — dropped for good, never retried — and why.
 *
 * @internal
 */
export interface Receipt {
  /** Events of the batch the receiver refused; the others count as sent. */
  readonly rejected: number
  /** The receiver's explanation, logged once per batch. */
  readonly message?: string
}

/**
 * What a transport does: deliver one batch; fail only with a `TransportError` saying whether a retry may help.
 *
 * @internal
 */
export interface TransportService {
  /**
   * Deliver one batch; fails only with a `TransportError` saying whether a retry may help. Succeeds with
   * nothing (all delivered) or a `Receipt` naming the events the receiver refused.
   */
  readonly send: (batch: Batch) => Effect.Effect<void | Receipt, TransportError>
}

/**
 * Where batches of events go (the public `Transport` carries the constructors).
 *
 * @internal
 */
export class Transport extends Context.Tag("effect-telemetry/Transport")<Transport, TransportService>() {}
