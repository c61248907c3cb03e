import { HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Ref } from "effect"
import * as HealthServer from "../src/layers/HealthRoutes.js"
import { HealthCheck } from "../src/services/HealthCheck.js"
import { layerRedactor, Redactor } from "../src/services/Redactor.js"
import { makeRecordingCollector, passThroughRedactor } from "./support/RecordingCollector.js"

/** HealthCheck plus the health server on a free loopback port, in the test's scope. */
const serveWith = (
  options: Omit<HealthCheck.LayerOptions, "defaults"> = {},
  redactor: Layer.Layer<Redactor> = Layer.succeed(Redactor, passThroughRedactor)
) => Effect.gen(function*() {
  const { context: sink } = yield* makeRecordingCollector()
  const health = HealthCheck.layer({ ...options, defaults: { failureThreshold: 1, recoveryThreshold: 1 } }).pipe(
    Layer.provide(Layer.merge(Layer.succeedContext(sink), redactor))
  )
  const context = yield* Layer.build(
    HealthServer.layer({ port: 0, host: "127.0.0.1", serviceId: "effect-telemetry-test" }).pipe(Layer.provideMerge(health))
  )
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  return { health: Context.get(context, HealthCheck), url: `http://127.0.0.1:${address.port}` }
})

const serve = serveWith()

/** A real HTTP request through Node's fetch. */
const get = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    const text = await response.text()
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      cacheControl: response.headers.get("cache-control"),
      body: text.length > 0 && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text
    }
  })

/** A check the test turns on and off. */
const toggle = Effect.map(Ref.make(true), (ok) => ({
  ok,
  check: Effect.flatMap(Ref.get(ok), (up) => (up ? Effect.void : Effect.fail(new Error("refused"))))
}))

describe("HealthRoutes", () => {
  it.scopedLive("GET /health serves the report as application/health+json: 200 for pass", () =>
    Effect.gen(function*() {
      const { health, url } = yield* serve
      yield* health.register("db", Effect.void)
      yield* health.checkNow("db")
      const response = yield* get(`${url}/health`)
      expect(response.status).toBe(200)
      expect(response.contentType).toBe("application/health+json")
      expect(response.cacheControl).toBe("no-store")
      expect(response.body).toMatchObject({
        status: "pass",
        serviceId: "effect-telemetry-test",
        checks: {
          "db:responseTime": [{ componentId: "db", status: "pass", observedUnit: "ms" }],
          uptime: [{ componentType: "system", status: "pass" }]
        }
      })
    }))

  it.scopedLive("a failing critical service makes /health and /health/ready 503 while /health/live stays 200", () =>
    Effect.gen(function*() {
      const { health, url } = yield* serve
      const db = yield* toggle
      yield* health.register("db", db.check)
      yield* Ref.set(db.ok, false)
      yield* health.checkNow("db")
      const [report, ready, live] = [yield* get(`${url}/health`), yield* get(`${url}/health/ready`), yield* get(`${url}/health/live`)]
      expect(report.status).toBe(503)
      expect(report.body).toMatchObject({ status: "fail", checks: { "db:responseTime": [{ status: "fail" }] } })
      expect(report.body.checks["db:responseTime"][0].output).toContain("refused")
      expect(ready.status).toBe(503)
      expect(ready.body).toMatchObject({ status: "fail", output: "not ready: db" })
      expect(live.status).toBe(200)
      expect(live.body).toMatchObject({ status: "pass", checks: { "health-pollers:running": [{ observedValue: 1 }] } })

      yield* Ref.set(db.ok, true)
      yield* health.checkNow("db")
      expect((yield* get(`${url}/health`)).status).toBe(200)
      expect((yield* get(`${url}/health/ready`)).status).toBe(200)
    }))

  it.scopedLive("a failing non-critical service warns with 200 and leaves readiness alone", () =>
    Effect.gen(function*() {
      const { health, url } = yield* serve
      yield* health.register("db", Effect.void)
      yield* health.register("cache", Effect.fail("evicted"), { critical: false })
      yield* health.getHealthReport({ refresh: true })
      const report = yield* get(`${url}/health`)
      expect(report.status).toBe(200)
      expect(report.body).toMatchObject({ status: "warn", output: "cache UNHEALTHY" })
      const ready = yield* get(`${url}/health/ready`)
      expect(ready.status).toBe(200)
      expect(Object.keys(ready.body.checks).sort()).toEqual(["db:responseTime", "uptime"])
    }))

  it.scopedLive("a critical service not checked yet is not ready; unknown paths are 404", () =>
    Effect.gen(function*() {
      const { health, url } = yield* serve
      yield* health.register("slow", Effect.never, { timeout: "1 minute" })
      const ready = yield* get(`${url}/health/ready`)
      expect(ready.status).toBe(503)
      expect(ready.body).toMatchObject({ status: "fail", output: "not ready: slow" })
      const report = yield* get(`${url}/health`)
      expect(report.status).toBe(200)
      expect(report.body.status).toBe("warn")
      expect((yield* get(`${url}/nope`)).status).toBe(404)
    }))

  /** A check failing as a misconfigured driver does: a secret, a path and a stack in its error. */
  const leakyCheck = Effect.fail(
    new Error(
      "login refused: pass=hunter2 token: abc123 reading /srv/app/config/db.json\n" +
        "    at Socket.connect (/srv/app/node_modules/pg/lib/client.js:132:7)"
    )
  )

  it.scopedLive("what /health and /health/ready serve of a failing check holds no secret, stack frame or path", () =>
    Effect.gen(function*() {
      const { health, url } = yield* serveWith({}, layerRedactor())
      yield* health.register("db", leakyCheck)
      yield* health.checkNow("db")
      for (const path of ["/health", "/health/ready"]) {
        const response = yield* get(`${url}${path}`)
        expect(response.status).toBe(503)
        const text = JSON.stringify(response.body)
        for (const leak of ["hunter2", "abc123", "/srv/app", "client.js", "Socket.connect"]) expect(text).not.toContain(leak)
        // The poll started by `register` and `checkNow` may both have run: one or two failures.
        expect(response.body.checks["db:responseTime"][0].output).toMatch(
          /^\d consecutive failures? \(threshold 1\): Error: login refused: pass=\[REDACTED\] token: \[REDACTED\] reading \[path\]$/
        )
      }
    }))

  it.scopedLive("with exposeErrorDetails /health serves the failing check's stack and paths, secrets still redacted", () =>
    Effect.gen(function*() {
      const { health, url } = yield* serveWith({ exposeErrorDetails: true }, layerRedactor())
      yield* health.register("db", leakyCheck)
      yield* health.checkNow("db")
      const text = JSON.stringify((yield* get(`${url}/health`)).body)
      expect(text).toContain("/srv/app/config/db.json")
      expect(text).toContain("at Socket.connect (/srv/app/node_modules/pg/lib/client.js:132:7)")
      expect(text).not.toContain("hunter2")
      expect(text).not.toContain("abc123")
    }))

  it.scopedLive("the routes follow a custom path; the default one is then not served", () =>
    Effect.gen(function*() {
      const { context: sink } = yield* makeRecordingCollector()
      const health = HealthCheck.layer().pipe(
        Layer.provide(Layer.merge(Layer.succeedContext(sink), Layer.succeed(Redactor, passThroughRedactor)))
      )
      const context = yield* Layer.build(
        HealthServer.layer({ port: 0, host: "127.0.0.1", path: "/status" }).pipe(Layer.provideMerge(health))
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
      const url = `http://127.0.0.1:${address.port}`
      expect((yield* get(`${url}/status`)).body).toMatchObject({ status: "pass" })
      expect((yield* get(`${url}/status/live`)).status).toBe(200)
      expect((yield* get(`${url}/status/ready`)).status).toBe(200)
      expect((yield* get(`${url}/health`)).status).toBe(404)
    }))
})
