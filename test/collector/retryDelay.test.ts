import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, ManagedRuntime, Random, ScheduleDecision, ScheduleIntervals, TestClock, TestContext } from "effect"
import * as fc from "fast-check"
import { TransportError } from "../../src/schemas/errors.js"
import { retryDelay, retrySchedule } from "../../src/transports/internal/retrySchedule.js"

const failure = fc.record({
  reason: fc.constantFrom("network" as const, "timeout" as const, "unauthorized" as const),
  retryable: fc.boolean(),
  retryAfterMillis: fc.option(fc.oneof(fc.nat(120_000), fc.double({ min: 0, max: 5_000, noNaN: true })), {
    nil: undefined
  })
}).map(({ reason, retryAfterMillis, retryable }) =>
  new TransportError({ reason, retryable, message: "down", ...(retryAfterMillis === undefined ? {} : { retryAfterMillis }) })
)

// Whole and fractional milliseconds: `Duration` keeps the latter as nanoseconds.
const millis = (max: number) => fc.oneof(fc.nat(max), fc.double({ min: 0, max, noNaN: true })).map(Duration.millis)

const options = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 8 }),
  retryBaseDelay: millis(10_000),
  retryMaxDelay: millis(60_000)
})

// One test clock for every run: each sets its own time.
const runtime = ManagedRuntime.make(TestContext.TestContext)

describe("retryDelay", () => {
  it("waits exactly what retrySchedule's steps ask for, drawing the same randomness, and stops where it stops", () =>
    fc.assert(
      fc.asyncProperty(
        options,
        fc.array(failure, { minLength: 1, maxLength: 10 }),
        fc.integer(),
        fc.oneof(fc.constant(0), fc.nat(2_000_000_000_000)),
        (options, failures, seed, now) =>
          runtime.runPromise(Effect.gen(function*() {
            yield* TestClock.setTime(now)
            const schedule = retrySchedule(options)
            const expected: Array<number | undefined> = []
            let state = schedule.initial
            for (const error of failures) {
              const [next, , decision] = yield* schedule.step(now, error, state)
              state = next
              if (ScheduleDecision.isDone(decision)) {
                expected.push(undefined)
                break
              }
              expected.push(ScheduleIntervals.start(decision.intervals) - now)
            }
            const actual: Array<number | undefined> = []
            yield* Effect.gen(function*() {
              for (let i = 0; i < expected.length; i++) actual.push(yield* retryDelay(options, failures[i]!, i))
            }).pipe(Effect.withRandom(Random.make(seed)))
            expect(actual).toEqual(expected)
          }).pipe(Effect.withRandom(Random.make(seed))))
      ),
      { numRuns: 200 }
    ))
})
