import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, type Duration, Effect, Either, Exit, FiberId, Layer, Ref, Scope, TestClock } from "effect"
import {
  HealthCheckRegistrationError,
  type HealthRecoveredData,
  type HealthStatusChangedData,
  UnknownServiceError
} from "../src/schemas/HealthEvents.js"
import * as Machine from "../src/services/health/StatusMachine.js"
import { EventSink } from "../src/services/EventSink.js"
import { HealthCheck } from "../src/services/HealthCheck.js"
import { layerRedactor, unsafeMake as makeRedactor, Redactor } from "../src/services/Redactor.js"
import { layerWithTransport } from "../src/layers/TelemetryLayers.js"
import { deliveredEvents } from "../src/layers/TelemetryTest.js"
import { fromOptions } from "../src/schemas/TelemetryConfig.js"
import { Transport } from "../src/transports/Transport.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { makeRecordingCollector } from "./support/RecordingCollector.js"

// ---- harness ---------------------------------------------------------------------------------------

const email = /[a-z]{1,20}@example\.com/g
const testRedactor = Redactor.of({
  redactString: (s) => s.replace(email, "[EMAIL]"),
  redact: <A>(value: A): A => value,
  pseudonymize: (userId) => userId
})

const start = (options: HealthCheck.LayerOptions = {}, redactor: Redactor["Type"] = testRedactor) =>
  Effect.gen(function*() {
    const recording = yield* makeRecordingCollector()
    const health = yield* HealthCheck.make(options).pipe(
      Effect.provide(recording.context),
      Effect.provideService(Redactor, redactor)
    )
    return {
      ...recording,
      health,
      changes: recording.dataOf<HealthStatusChangedData>("health.status_changed"),
      recoveries: recording.dataOf<HealthRecoveredData>("health.recovered")
    }
  })

/** A check whose outcome the test switches, counting its runs. */
const switchable = Effect.gen(function*() {
  const healthy = yield* Ref.make(true)
  const runs = yield* Ref.make(0)
  const check = Ref.update(runs, (n) => n + 1).pipe(
    Effect.zipRight(Ref.get(healthy)),
    Effect.flatMap((ok) => (ok ? Effect.void : Effect.fail(new Error("connection refused for ops@example.com"))))
  )
  return { check, healthy, runs }
})

/** Lets forked fibers (the pollers) run what they were woken for. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)
const tick = (d: Duration.DurationInput) => TestClock.adjust(d).pipe(Effect.zipRight(settle))

const statusOf = (health: Context.Tag.Service<HealthCheck>, name: string) =>
  Effect.map(health.getHealthReport(), (r) => r.services[name]?.status)

// ---- state machine -------------------------------------------------------------------------------------

describe("StatusMachine", () => {
  const t: Machine.Thresholds = { failureThreshold: 3, recoveryThreshold: 2, degradedLatencyMs: 1_000 }
  const run = (results: ReadonlyArray<"S" | "F" | "slow">) => {
    let state = Machine.initial
    const statuses: Array<string> = []
    let recovered: Machine.Recovery | undefined
    results.forEach((r, i) => {
      const at = (i + 1) * 1_000
      const next = Machine.step(
        state,
        r === "F" ? { _tag: "failure", at, latencyMs: 5, error: "e" } : { _tag: "success", at, latencyMs: r === "slow" ? 2_000 : 5 },
        t
      )
      state = next.state
      recovered = next.recovered ?? recovered
      statuses.push(Machine.ownStatus(state))
    })
    return { state, statuses, recovered }
  }

  it("follows the transition table", () => {
    expect(Machine.ownStatus(Machine.initial)).toBe("UNKNOWN")
    expect(run(["S", "F", "F", "F", "S", "S"]).statuses).toEqual([
      "HEALTHY",
      "DEGRADED",
      "DEGRADED",
      "UNHEALTHY",
      "UNHEALTHY",
      "HEALTHY"
    ])
    // Recovering from failures (not yet UNHEALTHY) also needs the recovery threshold: no flapping.
    expect(run(["S", "F", "S", "F", "S", "S"]).statuses).toEqual([
      "HEALTHY",
      "DEGRADED",
      "DEGRADED",
      "DEGRADED",
      "DEGRADED",
      "HEALTHY"
    ])
    // A failure while recovering from UNHEALTHY starts the recovery over.
    expect(run(["F", "F", "F", "S", "F", "S", "S"]).statuses.slice(3)).toEqual(["UNHEALTHY", "UNHEALTHY", "UNHEALTHY", "HEALTHY"])
    expect(run(["S", "slow", "S"]).statuses).toEqual(["HEALTHY", "DEGRADED", "HEALTHY"])
  })

  it("reports a recovery from UNHEALTHY with when it went down", () => {
    expect(run(["F", "F", "F", "S", "S"]).recovered).toEqual({ downSince: 3_000, recoveredAt: 5_000 })
    expect(run(["F", "S", "S"]).recovered).toBeUndefined()
  })

  it("computes the success rate over the last 20 results", () => {
    const results: Array<"S" | "F"> = [...Array(10).fill("F"), ...Array(5).fill("F"), ...Array(10).fill("S")]
    expect(Machine.successRate(run(results).state)).toBe(10 / 20)
    expect(Machine.successRate(Machine.initial)).toBeNull()
  })

  it("weighs dependencies: an unhealthy, degraded or missing dependency degrades; an unknown one does not", () => {
    const healthy = run(["S"]).state
    const down = run(["F", "F", "F"]).state
    const statuses = Machine.effectiveStatuses(
      new Map<string, Machine.Node>([
        ["db", { state: down, dependencies: [] }],
        ["api", { state: healthy, dependencies: ["db"] }],
        ["web", { state: healthy, dependencies: ["api"] }],
        ["jobs", { state: healthy, dependencies: ["queue"] }],
        ["fresh", { state: Machine.initial, dependencies: [] }],
        ["mail", { state: healthy, dependencies: ["fresh"] }],
        ["down-only", { state: down, dependencies: ["fresh"] }]
      ])
    )
    expect(Object.fromEntries(statuses)).toEqual({
      db: "UNHEALTHY",
      api: "DEGRADED",
      web: "DEGRADED",
      jobs: "DEGRADED",
      fresh: "UNKNOWN",
      mail: "HEALTHY",
      "down-only": "UNHEALTHY"
    })
    expect(Machine.explain(healthy, t, ["db", "queue"], statuses)).toBe("dependency db is UNHEALTHY, queue is not registered")
  })

  it("overall: the worst critical service; a non-critical one only degrades", () => {
    expect(Machine.overallStatus([])).toBe("HEALTHY")
    expect(Machine.overallStatus([{ status: "HEALTHY", critical: true }, { status: "UNHEALTHY", critical: false }])).toBe(
      "DEGRADED"
    )
    expect(Machine.overallStatus([{ status: "UNHEALTHY", critical: true }, { status: "HEALTHY", critical: false }])).toBe(
      "UNHEALTHY"
    )
    expect(Machine.overallStatus([{ status: "UNKNOWN", critical: true }, { status: "HEALTHY", critical: true }])).toBe("UNKNOWN")
    expect(Machine.overallStatus([{ status: "HEALTHY", critical: true }, { status: "UNKNOWN", critical: false }])).toBe("HEALTHY")
  })

  it("finds the cycle a registration would close", () => {
    const graph = new Map([["a", ["b"]], ["b", ["c"]]])
    expect(Machine.findCycle(graph, "c", ["a"])).toEqual(["c", "a", "b", "c"])
    expect(Machine.findCycle(graph, "c", [])).toBeUndefined()
    expect(Machine.findCycle(graph, "d", ["d"])).toEqual(["d", "d"])
  })
})

// ---- the service ------------------------------------------------------------------------------------------

describe("HealthCheck", () => {
  it.scoped("a service is UNKNOWN before its first result, then HEALTHY", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      yield* health.register("slow-start", Effect.sleep("1 second"))
      yield* settle
      expect(yield* statusOf(health, "slow-start")).toBe("UNKNOWN")
      expect((yield* health.getHealthReport()).services["slow-start"]).toMatchObject({ reason: "not checked yet", checks: 0 })
      yield* tick("1 second")
      expect((yield* health.getHealthReport()).services["slow-start"]).toMatchObject({
        status: "HEALTHY",
        checks: 1,
        lastLatencyMs: 1_000,
        lastCheckedAt: 1_000,
        successRate: 1
      })
    }))

  it.scoped("polls on its interval: failures degrade, the threshold makes it UNHEALTHY, recovery needs its threshold", () =>
    Effect.gen(function*() {
      const { changes, health, recoveries } = yield* start()
      const db = yield* switchable
      yield* health.register("db", db.check, { interval: "10 seconds" })
      yield* settle
      expect(yield* statusOf(health, "db")).toBe("HEALTHY")
      yield* Ref.set(db.healthy, false)
      const seen: Array<string | undefined> = []
      for (let i = 0; i < 3; i++) {
        yield* tick("10 seconds")
        seen.push(yield* statusOf(health, "db"))
      }
      expect(seen).toEqual(["DEGRADED", "DEGRADED", "UNHEALTHY"])
      expect((yield* health.getHealthReport()).services["db"]).toMatchObject({
        consecutiveFailures: 3,
        lastError: "Error: connection refused for [EMAIL]",
        reason: "3 consecutive failures (threshold 3)"
      })
      yield* Ref.set(db.healthy, true)
      yield* tick("10 seconds")
      expect(yield* statusOf(health, "db")).toBe("UNHEALTHY")
      expect((yield* health.getHealthReport()).services["db"]!.reason).toBe("recovering: 1 of 2 successes needed")
      yield* tick("10 seconds")
      expect(yield* statusOf(health, "db")).toBe("HEALTHY")
      expect(yield* Ref.get(db.runs)).toBe(6)
      expect(yield* recoveries).toEqual([{ service: "db", downtimeMs: 20_000, downSince: 30_000, recoveredAt: 50_000 }])

      // Ten more minutes of healthy polls publish nothing: events are status changes only.
      yield* tick("10 minutes")
      expect(yield* Ref.get(db.runs)).toBe(66)
      expect((yield* changes).map((c) => `${c.from}→${c.to}`)).toEqual([
        "UNKNOWN→HEALTHY",
        "HEALTHY→DEGRADED",
        "DEGRADED→UNHEALTHY",
        "UNHEALTHY→HEALTHY"
      ])
      expect((yield* changes)[2]).toMatchObject({ service: "db", critical: true, overall: "UNHEALTHY", consecutiveFailures: 3 })
    }))

  it.scoped("the recovery threshold is the one configured", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      const api = yield* switchable
      yield* Ref.set(api.healthy, false)
      yield* health.register("api", api.check, { interval: "1 second", failureThreshold: 1, recoveryThreshold: 3 })
      yield* settle
      expect(yield* statusOf(health, "api")).toBe("UNHEALTHY")
      yield* Ref.set(api.healthy, true)
      const seen: Array<string | undefined> = []
      for (let i = 0; i < 3; i++) {
        yield* tick("1 second")
        seen.push(yield* statusOf(health, "api"))
      }
      expect(seen).toEqual(["UNHEALTHY", "UNHEALTHY", "HEALTHY"])
    }))

  it.scoped("a check slower than the latency threshold degrades; one past its timeout fails", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      const delay = yield* Ref.make<Duration.DurationInput>("2 seconds")
      const check = Effect.flatMap(Ref.get(delay), (d) => Effect.sleep(d))
      yield* health.register("search", check, { interval: "1 minute", degradedLatency: "1 second", timeout: "5 seconds" })
      yield* tick("2 seconds")
      expect((yield* health.getHealthReport()).services["search"]).toMatchObject({
        status: "DEGRADED",
        lastLatencyMs: 2_000,
        reason: "latency 2000 ms over 1000 ms",
        consecutiveFailures: 0
      })
      yield* Ref.set(delay, "30 seconds")
      yield* tick("1 minute")
      yield* tick("5 seconds")
      expect((yield* health.getHealthReport()).services["search"]).toMatchObject({
        status: "DEGRADED",
        consecutiveFailures: 1,
        lastLatencyMs: 5_000,
        lastError: "TimeoutException: timed out after 5s"
      })
    }))

  it.scoped("a defect in a check is a failure like any other", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      yield* health.register("buggy", Effect.die(new TypeError("x is undefined")), { failureThreshold: 1 })
      yield* settle
      expect((yield* health.getHealthReport()).services["buggy"]).toMatchObject({
        status: "UNHEALTHY",
        lastError: "TypeError: x is undefined"
      })
    }))

  it.scoped("a check failing several ways at once is described by its first defect, else its first failure", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      const failures = Effect.failCause(Cause.sequential(
        Cause.fail(new Error("replica lagging")),
        Cause.parallel(Cause.fail(new Error("primary down")), Cause.die(new RangeError("pool size -1")))
      ))
      yield* health.register("db", failures, { failureThreshold: 1 })
      yield* health.register("cache", Effect.failCause(Cause.parallel(Cause.interrupt(FiberId.none), Cause.fail("miss"))), {
        failureThreshold: 1
      })
      yield* settle
      const { services } = yield* health.getHealthReport()
      expect(services["db"]!.lastError).toBe("RangeError: pool size -1")
      expect(services["cache"]!.lastError).toBe("Error: miss")
    }))

  it.scoped("a dependency that is not healthy degrades its dependents, which publish their own change", () =>
    Effect.gen(function*() {
      const { changes, health } = yield* start()
      const db = yield* switchable
      yield* health.register("db", db.check, { interval: "10 seconds", failureThreshold: 1 })
      yield* health.register("api", Effect.void, { interval: "1 hour", dependencies: ["db"] })
      yield* settle
      expect(yield* statusOf(health, "api")).toBe("HEALTHY")
      yield* Ref.set(db.healthy, false)
      yield* tick("10 seconds")
      const report = yield* health.getHealthReport()
      expect(report.services["api"]).toMatchObject({ status: "DEGRADED", reason: "dependency db is UNHEALTHY" })
      expect(report.status).toBe("UNHEALTHY")
      expect((yield* changes).filter((c) => c.service === "api").map((c) => c.to)).toEqual(["HEALTHY", "DEGRADED"])
      yield* Ref.set(db.healthy, true)
      yield* tick("20 seconds")
      expect(yield* statusOf(health, "api")).toBe("HEALTHY")
    }))

  it.scoped("overall follows critical services; a failing non-critical one only degrades it", () =>
    Effect.gen(function*() {
      const { health } = yield* start({ defaults: { failureThreshold: 1 } })
      yield* health.register("db", Effect.void)
      yield* health.register("cache", Effect.fail("cache down"), { critical: false })
      yield* settle
      const report = yield* health.getHealthReport()
      expect(report.services["cache"]!.status).toBe("UNHEALTHY")
      expect(report.status).toBe("DEGRADED")
      expect(yield* health.readiness).toEqual({ ready: true, notReady: [] })
      yield* health.register("queue", Effect.fail("queue down"))
      yield* settle
      expect((yield* health.getHealthReport()).status).toBe("UNHEALTHY")
      expect(yield* health.readiness).toEqual({ ready: false, notReady: ["queue"] })
    }))

  it.scoped("the success rate covers the last 20 results", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      const db = yield* switchable
      yield* Ref.set(db.healthy, false)
      yield* health.register("db", db.check, { interval: "1 second" })
      yield* settle
      for (let i = 0; i < 14; i++) yield* tick("1 second")
      yield* Ref.set(db.healthy, true)
      for (let i = 0; i < 10; i++) yield* tick("1 second")
      // 15 failures then 10 successes: the window holds the last 10 failures and the 10 successes.
      expect((yield* health.getHealthReport()).services["db"]).toMatchObject({ checks: 25, successRate: 0.5 })
    }))

  it.scoped("getHealthReport reads cached results; refresh runs every check again", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      const a = yield* switchable
      const b = yield* switchable
      yield* health.register("a", a.check)
      yield* health.register("b", b.check)
      yield* settle
      for (let i = 0; i < 5; i++) yield* health.getHealthReport()
      expect([yield* Ref.get(a.runs), yield* Ref.get(b.runs)]).toEqual([1, 1])
      yield* Ref.set(b.healthy, false)
      const refreshed = yield* health.getHealthReport({ refresh: true })
      expect([yield* Ref.get(a.runs), yield* Ref.get(b.runs)]).toEqual([2, 2])
      expect(refreshed.services["b"]!.consecutiveFailures).toBe(1)
      const one = yield* health.checkNow("a")
      expect(one).toMatchObject({ name: "a", status: "HEALTHY", checks: 3 })
    }))

  it.scoped("unregister stops that service's polling and forgets it", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      const a = yield* switchable
      const b = yield* switchable
      yield* health.register("a", a.check, { interval: "1 second" })
      yield* health.register("b", b.check, { interval: "1 second" })
      yield* tick("2 seconds")
      expect(yield* health.unregister("a")).toBe(true)
      expect(yield* health.unregister("a")).toBe(false)
      yield* tick("5 seconds")
      expect([yield* Ref.get(a.runs), yield* Ref.get(b.runs)]).toEqual([3, 8])
      expect(Object.keys((yield* health.getHealthReport()).services)).toEqual(["b"])
      expect(yield* health.liveness).toEqual({ alive: true, polling: 1, stopped: [] })
    }))

  it.effect("closing the layer's scope stops every poller", () =>
    Effect.gen(function*() {
      const a = yield* switchable
      const scope = yield* Scope.make()
      const recording = yield* makeRecordingCollector()
      const context = yield* Layer.buildWithScope(
        HealthCheck.layer().pipe(
          Layer.provide(Layer.merge(Layer.succeedContext(recording.context), Layer.succeed(Redactor, testRedactor)))
        ),
        scope
      )
      yield* Context.get(context, HealthCheck).register("a", a.check, { interval: "1 second" })
      yield* tick("3 seconds")
      expect(yield* Ref.get(a.runs)).toBe(4)
      yield* Scope.close(scope, Exit.void)
      yield* tick("1 minute")
      expect(yield* Ref.get(a.runs)).toBe(4)
    }))

  it.scoped("registration refuses duplicates, bad names, dependency cycles and bad options", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      yield* health.register("a", Effect.void, { dependencies: ["b"] })
      const errors = yield* Effect.all([
        Effect.flip(health.register("a", Effect.void)),
        Effect.flip(health.register("db:primary", Effect.void)),
        Effect.flip(health.register("", Effect.void)),
        Effect.flip(health.register("b", Effect.void, { dependencies: ["a"] })),
        Effect.flip(health.register("c", Effect.void, { failureThreshold: 0 })),
        Effect.flip(health.register("d", Effect.void, { interval: 0 }))
      ])
      expect(errors.map((e) => [e.problem, e.option, e.path])).toEqual([
        ["duplicate", undefined, undefined],
        ["invalid-name", undefined, undefined],
        ["invalid-name", undefined, undefined],
        ["dependency-cycle", undefined, ["b", "a", "b"]],
        ["invalid-option", "failureThreshold", undefined],
        ["invalid-option", "interval", undefined]
      ])
      expect(Object.keys((yield* health.getHealthReport()).services)).toEqual(["a"])
      const unknown = yield* Effect.either(health.checkNow("nope"))
      expect(Either.isLeft(unknown) && unknown.left).toMatchObject({ _tag: "UnknownServiceError", registered: ["a"] })
    }))

  it.scoped("a failing collector does not stop polling or status changes", () =>
    Effect.gen(function*() {
      const { failing, health } = yield* start()
      yield* Ref.set(failing, true)
      const db = yield* switchable
      yield* Ref.set(db.healthy, false)
      yield* health.register("db", db.check, { interval: "1 second", failureThreshold: 2 })
      yield* tick("1 second")
      expect(yield* statusOf(health, "db")).toBe("UNHEALTHY")
      expect(yield* health.liveness).toMatchObject({ alive: true, polling: 1 })
    }))

  /** An error as a driver reports it: a file path in the message, then its stack. */
  const driverError = () =>
    new Error(
      "connect failed\n    at Socket.connect (/srv/app/node_modules/pg/lib/client.js:132:7)\n" +
        "    at file:///home/ann/app/main.mjs:3:1\ncannot read '/srv/app/config/db.json' for ops@example.com"
    )

  it.scoped("a check's error keeps no stack frames or file-system paths in the report or in events by default", () =>
    Effect.gen(function*() {
      const { changes, health } = yield* start()
      yield* health.register("db", Effect.fail(driverError()), { failureThreshold: 1 })
      yield* settle
      const expected = "Error: connect failed\ncannot read '[path]' for [EMAIL]"
      expect((yield* health.getHealthReport()).services["db"]!.lastError).toBe(expected)
      expect((yield* changes).map((c) => c.lastError)).toEqual([expected])
    }))

  it.scoped("exposeErrorDetails keeps a check's stack frames and paths, still redacted", () =>
    Effect.gen(function*() {
      const { health } = yield* start({ exposeErrorDetails: true })
      yield* health.register("db", Effect.fail(driverError()), { failureThreshold: 1 })
      yield* settle
      const lastError = (yield* health.getHealthReport()).services["db"]!.lastError
      expect(lastError).toContain("at Socket.connect (/srv/app/node_modules/pg/lib/client.js:132:7)")
      expect(lastError).toContain("'/srv/app/config/db.json' for [EMAIL]")
    }))

  it.scoped("key=value secrets in a check's error are redacted by the real redactor, in the report and in events", () =>
    Effect.gen(function*() {
      const { changes, health } = yield* start({}, makeRedactor())
      const failure = new Error("login refused: user=app pass=hunter2 token: abc123 for ann%40example.com")
      yield* health.register("db", Effect.fail(failure), { failureThreshold: 1 })
      yield* settle
      const expected = "Error: login refused: user=app pass=[REDACTED] token: [REDACTED] for [REDACTED]"
      expect((yield* health.getHealthReport()).services["db"]!.lastError).toBe(expected)
      expect((yield* changes).map((c) => c.lastError)).toEqual([expected])
    }))

  it.scoped("the report renders as health+json: pass/warn/fail and component:measurement keys", () =>
    Effect.gen(function*() {
      const { health } = yield* start({ defaults: { failureThreshold: 1 } })
      yield* TestClock.setTime(1_700_000_000_000)
      yield* health.register("db", Effect.void)
      yield* health.register("cache", Effect.fail("evicted"), { critical: false })
      yield* settle
      const document = HealthCheck.toJson(yield* health.getHealthReport(), { serviceId: "svc-1" })
      expect(document).toMatchObject({
        status: "warn",
        serviceId: "svc-1",
        output: "cache UNHEALTHY",
        checks: {
          "db:responseTime": [{
            componentId: "db",
            status: "pass",
            observedValue: 0,
            observedUnit: "ms",
            time: "2023-11-14T22:13:20.000Z"
          }],
          "cache:responseTime": [{ status: "fail", output: "1 consecutive failure (threshold 1): Error: evicted" }],
          uptime: [{ componentType: "system", observedUnit: "s", status: "pass" }]
        }
      })
      expect(document.checks["db:responseTime"]![0]!.output).toBeUndefined()
    }))
})

describe("HealthCheck over the real collector", () => {
  it.scoped("status changes are delivered as health events; unchanged polls are not", () =>
    Effect.gen(function*() {
      const config = yield* Effect.orDie(fromOptions({ transport: "memory" }))
      const context = yield* Layer.build(
        HealthCheck.layer().pipe(
          // The collector's own sink: what HealthCheck tracks goes through the real pipeline.
          Layer.provide(Layer.effect(EventSink, Effect.map(TelemetryCollector, (c) => EventSink.of(c)))),
          Layer.provideMerge(Layer.merge(layerWithTransport(config, Transport.memory), layerRedactor())),
          Layer.provideMerge(Transport.memory)
        )
      )
      const health = Context.get(context, HealthCheck)
      const db = yield* switchable
      yield* health.register("db", db.check, { interval: "1 second", failureThreshold: 1, recoveryThreshold: 1 })
      yield* tick("5 seconds")
      yield* Ref.set(db.healthy, false)
      yield* tick("5 seconds")
      yield* Ref.set(db.healthy, true)
      yield* tick("5 seconds")
      yield* Context.get(context, TelemetryCollector).flush
      const events = yield* deliveredEvents.pipe(Effect.provide(context))
      expect(events.map((e) => [e.type, e.kind, e.data.to ?? null])).toEqual([
        ["health.status_changed", "health", "HEALTHY"],
        ["health.status_changed", "health", "UNHEALTHY"],
        ["health.status_changed", "health", "HEALTHY"],
        ["health.recovered", "health", null]
      ])
      expect(JSON.stringify(events)).not.toContain("ops@example.com")
    }))
})

describe("HealthCheck clear and reset", () => {
  it.scoped("clear forgets checks run and the success rate; services keep polling, their status and what it rests on", () =>
    Effect.gen(function*() {
      const { health, tracked } = yield* start()
      const db = yield* switchable
      yield* health.register("db", db.check, { interval: "10 seconds" })
      yield* settle
      yield* Ref.set(db.healthy, false)
      yield* tick("10 seconds")
      yield* tick("10 seconds")
      const before = (yield* health.getHealthReport()).services["db"]!
      expect(before).toMatchObject({ status: "DEGRADED", checks: 3, consecutiveFailures: 2 })
      const events = (yield* tracked).length

      yield* health.clear
      const after = (yield* health.getHealthReport()).services["db"]!
      expect(after).toEqual({ ...before, checks: 0, successRate: null })
      expect((yield* tracked).length).toBe(events)

      // The next failure is the third in a row: the count toward the threshold was kept.
      yield* tick("10 seconds")
      expect((yield* health.getHealthReport()).services["db"]).toMatchObject({
        status: "UNHEALTHY",
        checks: 1,
        successRate: 0,
        consecutiveFailures: 3
      })
      expect(yield* Ref.get(db.runs)).toBe(4)
      expect(yield* health.liveness).toEqual({ alive: true, polling: 1, stopped: [] })
    }))

  it.scoped("reset unregisters every service without an event and restarts the uptime; names can be registered again", () =>
    Effect.gen(function*() {
      const { changes, health } = yield* start()
      const a = yield* switchable
      const b = yield* switchable
      yield* Ref.set(b.healthy, false)
      yield* health.register("a", a.check, { interval: "1 second" })
      yield* health.register("b", b.check, { interval: "1 second", failureThreshold: 1 })
      yield* tick("2 seconds")
      expect((yield* health.getHealthReport()).status).toBe("UNHEALTHY")
      const events = (yield* changes).length

      yield* health.reset
      expect(yield* health.getHealthReport()).toEqual({ status: "HEALTHY", timestamp: 2_000, uptimeMs: 0, services: {} })
      expect(yield* health.liveness).toEqual({ alive: true, polling: 0, stopped: [] })
      expect(yield* health.readiness).toEqual({ ready: true, notReady: [] })
      yield* tick("5 seconds")
      expect([yield* Ref.get(a.runs), yield* Ref.get(b.runs)]).toEqual([3, 3])
      expect((yield* changes).length).toBe(events)
      expect((yield* health.getHealthReport()).uptimeMs).toBe(5_000)

      yield* health.register("b", b.check, { interval: "1 second" })
      yield* settle
      expect((yield* health.getHealthReport()).services["b"]).toMatchObject({ status: "DEGRADED", checks: 1, registeredAt: 7_000 })
      expect(yield* Ref.get(b.runs)).toBe(4)
    }))

  it.scoped("a check still running when its service was reset does not count toward a new registration of the name", () =>
    Effect.gen(function*() {
      const { health } = yield* start()
      const slowFailure = Effect.sleep("3 seconds").pipe(Effect.zipRight(Effect.fail(new Error("old check failed"))))
      yield* health.register("db", slowFailure, { timeout: "10 seconds" })
      const late = yield* Effect.fork(health.checkNow("db"))
      yield* settle
      yield* health.reset
      yield* health.register("db", Effect.void)
      yield* settle
      yield* tick("3 seconds")
      yield* Effect.exit(late.await)
      expect((yield* health.getHealthReport()).services["db"]).toMatchObject({
        status: "HEALTHY",
        checks: 1,
        consecutiveFailures: 0,
        lastError: null
      })
    }))
})

describe("HealthCheck errors", () => {
  it("show their tag as their name and the service in their message", () => {
    const registration = new HealthCheckRegistrationError({ service: "db", problem: "duplicate", detail: "unregister it first" })
    const unknown = new UnknownServiceError({ service: "cache", registered: ["db"] })
    expect([registration.name, unknown.name]).toEqual(["HealthCheckRegistrationError", "UnknownServiceError"])
    expect(registration.message).toContain("\"db\"")
    expect(unknown.message).toContain("\"cache\"")
  })
})
