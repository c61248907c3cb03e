import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Random, Ref, TestClock } from "effect"
import * as fc from "fast-check"
import { TransportError } from "../../src/schemas/errors.js"
import { retryAfter, retryDelay, withRetries } from "../../src/transports/internal/retryPolicy.js"

const failure = fc.record({
  reason: fc.constantFrom("network" as const, "timeout" as const, "unauthorized" as const),
  retryable: fc.boolean(),
  retryAfterMillis: fc.option(fc.oneof(fc.nat(120_000), fc.double({ min: 0, max: 5_000, noNaN: true })), {
    nil: undefined
  })
}).map(({ reason, retryAfterMillis, retryable }) =>
  new TransportError({ reason, retryable, message: "down", ...(retryAfterMillis === undefined ? {} : { retryAfterMillis }) })
)

const options = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 8 }),
  retryBaseDelay: fc.nat(10_000).map(Duration.millis),
  retryMaxDelay: fc.nat(60_000).map(Duration.millis)
})

const down = new TransportError({ reason: "network", retryable: true, message: "down" })

describe("retryDelay", () => {
  it("doubles the base per failure within ±20 %, caps it, honours Retry-After up to the cap, and stops when it must", () =>
    fc.assert(
      fc.property(options, failure, fc.nat(10), fc.integer(), (options, error, failures, seed) => {
        const delay = Effect.runSync(retryDelay(options, error, failures).pipe(Effect.withRandom(Random.make(seed))))
        if (failures >= options.maxAttempts - 1 || !error.retryable || error.reason === "unauthorized") {
          expect(delay).toBeUndefined()
          return
        }
        const max = Duration.toMillis(options.retryMaxDelay)
        const backoff = Duration.toMillis(options.retryBaseDelay) * 2 ** failures
        const floor = Math.max(Math.min(backoff * 0.8, max), Math.min(error.retryAfterMillis ?? 0, max))
        const ceiling = Math.max(Math.min(backoff * 1.2, max), Math.min(error.retryAfterMillis ?? 0, max))
        expect(delay).toBeGreaterThanOrEqual(floor - 1e-9)
        expect(delay).toBeLessThanOrEqual(ceiling + 1e-9)
      }),
      { numRuns: 500 }
    ))

  it.effect("retries after each failure once its delay has passed on the Clock, and fails with the last failure", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const attempt = Effect.flatMap(Ref.updateAndGet(attempts, (n) => n + 1), (n) =>
        Effect.fail(new TransportError({ reason: "network", retryable: true, message: `attempt ${n}` })))
      const policy = { maxAttempts: 3, retryBaseDelay: Duration.seconds(1), retryMaxDelay: Duration.minutes(1) }
      const fiber = yield* Effect.fork(withRetries(policy)(attempt))
      yield* TestClock.adjust("799 millis")
      expect(yield* Ref.get(attempts)).toBe(1)
      yield* TestClock.adjust("401 millis") // past 1.2 s: the first retry
      expect(yield* Ref.get(attempts)).toBe(2)
      // The second retry comes 1.6–2.4 s after the first (itself at 0.8–1.2 s): not before 2.4 s, by 3.6 s.
      yield* TestClock.adjust("1199 millis")
      expect(yield* Ref.get(attempts)).toBe(2)
      yield* TestClock.adjust("1201 millis")
      const exit = yield* Fiber.await(fiber)
      expect(yield* Ref.get(attempts)).toBe(3)
      expect(exit).toEqual(Exit.fail(new TransportError({ reason: "network", retryable: true, message: "attempt 3" })))
    }))

  it.effect("stops at once on a failure no retry can cure, and succeeds as soon as an attempt does", () =>
    Effect.gen(function*() {
      const policy = { maxAttempts: 5, retryBaseDelay: Duration.millis(10), retryMaxDelay: Duration.seconds(1) }
      const refused = new TransportError({ reason: "status", retryable: false, message: "400" })
      const answers = yield* Ref.make<ReadonlyArray<TransportError>>([down, refused])
      const attempts = yield* Ref.make(0)
      const attempt = Effect.zipRight(
        Ref.update(attempts, (n) => n + 1),
        Effect.flatMap(Ref.modify(answers, ([next, ...rest]) => [next, rest]), (error) =>
          error === undefined ? Effect.succeed("sent") : Effect.fail(error))
      )
      const refusedAfterOneRetry = yield* Effect.fork(retryAfter(policy, attempt, down))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(refusedAfterOneRetry)).toEqual(Exit.fail(refused))
      expect(yield* Ref.get(attempts)).toBe(2)
      const sent = yield* Effect.fork(retryAfter(policy, attempt, down))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(sent)).toEqual(Exit.succeed("sent"))
      expect(yield* Ref.get(attempts)).toBe(3)
      expect(yield* Effect.exit(retryAfter(policy, attempt, refused))).toEqual(Exit.fail(refused))
      expect(yield* Ref.get(attempts)).toBe(3)
    }))
})
