import { describe, expect, it } from "@effect/vitest"
import { Cause, Console, Effect, Exit } from "effect"
import { TransportError } from "../src/schemas/errors.js"
import type { Batch } from "../src/schemas/TelemetryEvent.js"
import { Transport } from "../src/transports/Transport.js"
import { event } from "./support/Events.js"


const batch: Batch = { batchId: "b-1", events: [event("e1")] }

/** The failure of `send`, asserting it is a typed TransportError and not a defect. */
const failureOf = (send: Effect.Effect<void, TransportError>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(send)
    expect(Exit.isFailure(exit) && !Cause.isDie(exit.cause), String(exit)).toBe(true)
    const error = yield* Effect.flip(exit)
    expect(error).toBeInstanceOf(TransportError)
    return error
  })

/** Runs `effect` with a `Console` whose `log` keeps its lines in `lines`. */
const capturingLog = <A, E, R>(lines: Array<string>, effect: Effect.Effect<A, E, R>) =>
  Console.consoleWith((console) =>
    Console.withConsole(effect, { ...console, log: (...args) => Effect.sync(() => void lines.push(args.join(" "))) })
  )

describe("console transport", () => {
  it.effect("a batch prints one JSON line per event", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      yield* capturingLog(lines, Effect.flatMap(Transport, (transport) => transport.send(batch)))
      expect(lines.map((line) => JSON.parse(line))).toEqual(batch.events)
    }).pipe(Effect.provide(Transport.console)))

  it.effect("a batch holding an event JSON cannot print fails with encode and prints none of the batch", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const transport = yield* Transport
      const error = yield* failureOf(
        capturingLog(lines, transport.send({ batchId: "b-2", events: [event("e1"), event("e2", { n: 1n } as never)] }))
      )
      expect(error).toMatchObject({ reason: "encode", retryable: false })
      expect(error.message).toContain("cannot encode batch b-2: event e2:")
      expect(lines).toEqual([])
    }).pipe(Effect.provide(Transport.console)))
})

describe("function transport", () => {
  const sendWith = (send: Parameters<typeof Transport.fromFunction>[0]) =>
    Effect.flatMap(Transport, (transport) => transport.send(batch)).pipe(Effect.provide(Transport.fromFunction(send)))

  it.effect("a thrown value without a prototype fails as a retryable io error, not a defect", () =>
    Effect.gen(function*() {
      const error = yield* failureOf(sendWith(() => {
        throw Object.create(null)
      }))
      expect(error).toMatchObject({ reason: "io", retryable: true, message: "custom transport failed: an unprintable value" })
    }))

  it.effect("a rejected thenable that is not a Promise fails the send instead of counting as delivered", () =>
    Effect.gen(function*() {
      const thenable: PromiseLike<void> = {
        then: (_, onRejected) => Promise.resolve(onRejected?.(new Error("webhook down")))
      } as PromiseLike<void>
      const error = yield* failureOf(sendWith(() => thenable))
      expect(error).toMatchObject({ reason: "io", retryable: true, message: "custom transport failed: webhook down" })
    }))

  it.effect("an Effect failing with something other than a TransportError (a plain-JS caller) becomes one", () =>
    Effect.gen(function*() {
      const error = yield* failureOf(sendWith(() => Effect.fail("quota exceeded") as never))
      expect(error).toMatchObject({ reason: "io", retryable: true, message: "custom transport failed: quota exceeded" })
    }))

  it.effect("an error quoting a URL with credentials is shown without them", () =>
    Effect.gen(function*() {
      const error = yield* failureOf(sendWith(() => Promise.reject(new Error("request to https://admin:hunter2@hooks.example.com/t?token=abc failed"))))
      expect(error.message).toBe("custom transport failed: request to https://hooks.example.com/t?token=[REDACTED] failed")
    }))

  it.effect("a TransportError the function fails with is kept as it is", () =>
    Effect.gen(function*() {
      const own = new TransportError({ reason: "status", retryable: false, status: 422, message: "webhook answered 422" })
      expect(yield* failureOf(sendWith(() => Effect.fail(own)))).toBe(own)
    }))
})
