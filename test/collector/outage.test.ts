import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import * as Outage from "../../src/internal/collector/outage.js"
import { TransportError } from "../../src/schemas/errors.js"
import { capturingWarnings } from "../support/Logs.js"

const options = {
  flushInterval: Duration.seconds(30),
  retryBaseDelay: Duration.seconds(1),
  retryMaxDelay: Duration.seconds(8)
}
const down = (fields: Partial<ConstructorParameters<typeof TransportError>[0]> = {}) =>
  new TransportError({ reason: "network", retryable: true, message: "down", ...fields })

describe("outage", () => {
  it.effect("goes offline, waits out a doubling backoff capped at retryMaxDelay, then a probe is due", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const outage = yield* Outage.make(options, clock)
      expect(yield* outage.status).toBe("online")
      const waits: Array<number> = []
      for (let i = 0; i < 5; i++) {
        yield* outage.goOffline(down())
        waits.push(Duration.toMillis(yield* outage.nextWait(1)))
      }
      expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000])
      expect(yield* outage.status).toBe("waiting")
      yield* TestClock.adjust("8 seconds")
      expect(yield* outage.status).toBe("probe")
      yield* outage.goOnline
      expect(yield* outage.offline).toBe(false)
      // online again, the backoff starts over
      yield* outage.goOffline(down())
      expect(Duration.toMillis(yield* outage.nextWait(1))).toBe(1_000)
    }))

  it.effect("a Retry-After longer than the backoff is waited, up to retryMaxDelay", () =>
    Effect.gen(function*() {
      const outage = yield* Outage.make(options, yield* Effect.clock)
      yield* outage.goOffline(down({ retryAfterMillis: 5_000 }))
      expect(Duration.toMillis(yield* outage.nextWait(1))).toBe(5_000)
      yield* outage.goOffline(down({ retryAfterMillis: 60_000 }))
      expect(Duration.toMillis(yield* outage.nextWait(1))).toBe(8_000)
    }))

  it.effect("offline with nothing stored, the loop sleeps a flush interval rather than spin", () =>
    Effect.gen(function*() {
      const outage = yield* Outage.make(options, yield* Effect.clock)
      yield* outage.goOffline(down())
      yield* TestClock.adjust("5 seconds")
      expect(Duration.toMillis(yield* outage.nextWait(0))).toBe(30_000)
      expect(Duration.toMillis(yield* outage.nextWait(3))).toBe(0)
    }))

  it.effect("probeNow makes the probe due at once, offline only", () =>
    Effect.gen(function*() {
      const outage = yield* Outage.make(options, yield* Effect.clock)
      yield* outage.probeNow
      expect(yield* outage.status).toBe("online")
      yield* outage.goOffline(down())
      yield* outage.probeNow
      expect(yield* outage.status).toBe("probe")
    }))

  it.effect("warns once per outage, naming refused credentials", () => {
    const messages: Array<string> = []
    return Effect.gen(function*() {
      const outage = yield* Outage.make(options, yield* Effect.clock)
      yield* outage.goOffline(down({ reason: "unauthorized", retryable: false }))
      yield* outage.goOffline(down())
      yield* outage.goOnline
      yield* outage.goOffline(down())
      expect(messages).toEqual([
        "telemetry receiver refuses our credentials; storing batches in the outbox until it accepts them",
        "telemetry receiver unreachable; storing batches in the outbox"
      ])
    }).pipe(Effect.provide(capturingWarnings(messages)))
  })
})
