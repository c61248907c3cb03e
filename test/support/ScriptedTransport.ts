/**
 * A transport for collector tests: every attempt is recorded (batch id, event ids, Clock time), and
 * each answer comes from a script the test can change between steps.
 */
import { Clock, Effect, Layer, Ref } from "effect"
import type { Batch } from "../../src/schemas/TelemetryEvent.js"
import { TransportError } from "../../src/schemas/errors.js"
import { Transport } from "../../src/transports/Transport.js"

export type Answer =
  | { readonly _tag: "ok" }
  | { readonly _tag: "fail"; readonly error: TransportError }
  | { readonly _tag: "hang" }
  | { readonly _tag: "delay"; readonly millis: number }

export interface Attempt {
  readonly batchId: string
  readonly ids: ReadonlyArray<string>
  readonly at: number
  readonly outcome: Answer["_tag"]
}

export const ok: Answer = { _tag: "ok" }
export const hang: Answer = { _tag: "hang" }
export const delay = (millis: number): Answer => ({ _tag: "delay", millis })
export const fail = (fields: Partial<ConstructorParameters<typeof TransportError>[0]> = {}): Answer => ({
  _tag: "fail",
  error: new TransportError({ reason: "status", retryable: true, message: "scripted failure", status: 503, ...fields })
})

export const makeScripted = Effect.gen(function*() {
  const attempts = yield* Ref.make<ReadonlyArray<Attempt>>([])
  const delivered = yield* Ref.make<ReadonlyArray<Batch>>([])
  /** Answers used in order, then `fallback` forever. */
  const queue = yield* Ref.make<ReadonlyArray<Answer>>([])
  const fallback = yield* Ref.make<Answer>(ok)
  const next = Effect.flatMap(Ref.get(queue), (q) =>
    q.length > 0 ? Effect.as(Ref.set(queue, q.slice(1)), q[0]!) : Ref.get(fallback))
  const transport = Transport.of({
    send: (batch) =>
      Effect.gen(function*() {
        const answer = yield* next
        const at = yield* Clock.currentTimeMillis
        yield* Ref.update(attempts, (a) => [
          ...a,
          { batchId: batch.batchId, ids: batch.events.map((e) => e.id), at, outcome: answer._tag }
        ])
        switch (answer._tag) {
          case "fail":
            return yield* Effect.fail(answer.error)
          case "hang":
            return yield* Effect.never
          case "delay":
            yield* Effect.sleep(answer.millis)
            break
        }
        yield* Ref.update(delivered, (d) => [...d, batch])
      })
  })
  return {
    layer: Layer.succeed(Transport, transport),
    attempts: Ref.get(attempts),
    batches: Ref.get(delivered),
    events: Effect.map(Ref.get(delivered), (d) => d.flatMap((b) => b.events)),
    script: (...answers: ReadonlyArray<Answer>) => Ref.set(queue, answers),
    always: (answer: Answer) => Ref.set(fallback, answer)
  }
})
