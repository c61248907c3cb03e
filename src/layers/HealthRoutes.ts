/**
 * HTTP routes over HealthCheck, for load balancers and Kubernetes probes:
 *
 * - `GET /health` — the full report as `application/health+json`; 200 for pass/warn, 503 for fail.
 * - `GET /health/live` — liveness: the polling fibers are running (restart the process if not).
 * - `GET /health/ready` — readiness: every critical service is HEALTHY or DEGRADED (send traffic).
 *
 * Mount `makeHealthRouter()` in your own `HttpRouter`, or serve it alone with `layerHealthServer`.
 *
 * Any peer that reaches the port may read these documents: check errors in them are redacted and carry no
 * stack frames or file-system paths unless the HealthCheck layer has `exposeErrorDetails`.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import type { ServeError } from "@effect/platform/HttpServerError"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { HealthCheck } from "../services/HealthCheck.js"
import {
  type HealthJson,
  type HealthJsonInfo,
  healthJsonContentType,
  httpStatus,
  type IetfStatus,
  toHealthJson
} from "../services/health/HealthJson.js"

/** Where the routes live and how the service names itself in the document. */
export interface HealthRouteOptions extends HealthJsonInfo {
  /** The report's path; liveness and readiness are under it. Default `/health`. */
  readonly path?: `/${string}`
}

/** Where the standalone health server listens. */
export interface HealthServerOptions extends HealthRouteOptions {
  /** Default 8080; `0` picks a free port (read it from `HttpServer.HttpServer`'s `address`). */
  readonly port?: number
  /** Default `0.0.0.0`, so probes from outside the pod reach it (and so does anyone else on the network). */
  readonly host?: string
}

const respond = (document: HealthJson) =>
  HttpServerResponse.unsafeJson(document, {
    status: httpStatus(document.status),
    contentType: healthJsonContentType,
    // Probes must see the current state, never a cached one.
    headers: { "cache-control": "no-store" }
  })

/** The health routes as an `HttpRouter` needing `HealthCheck`. */
export const makeHealthRouter = (options: HealthRouteOptions = {}): HttpRouter.HttpRouter<never, HealthCheck> => {
  const { path = "/health", ...info } = options
  return HttpRouter.empty.pipe(
    HttpRouter.get(
      path,
      Effect.gen(function*() {
        const report = yield* (yield* HealthCheck).getHealthReport()
        return respond(toHealthJson(report, info))
      })
    ),
    HttpRouter.get(
      `${path}/live`,
      Effect.gen(function*() {
        const liveness = yield* (yield* HealthCheck).liveness
        const status: IetfStatus = liveness.alive ? "pass" : "fail"
        return respond({
          status,
          ...info,
          ...(liveness.alive ? {} : { output: `not polled any more: ${liveness.stopped.join(", ")}` }),
          checks: {
            "health-pollers:running": [{ componentType: "system", observedValue: liveness.polling, status }]
          }
        })
      })
    ),
    HttpRouter.get(
      `${path}/ready`,
      Effect.gen(function*() {
        const health = yield* HealthCheck
        const readiness = yield* health.readiness
        const report = yield* health.getHealthReport()
        const document = toHealthJson(report, info, (s) => s.critical)
        return respond({
          ...document,
          status: readiness.ready ? "pass" : "fail",
          ...(readiness.ready ? {} : { output: `not ready: ${readiness.notReady.join(", ")}` })
        })
      })
    )
  )
}

/** The health routes at `/health`. */
export const healthRouter: HttpRouter.HttpRouter<never, HealthCheck> = makeHealthRouter()

/** A Node HTTP server serving only the health routes, for the lifetime of the layer. */
export const layerHealthServer = (
  options: HealthServerOptions = {}
): Layer.Layer<HttpServer.HttpServer, ServeError, HealthCheck> => {
  const { host = "0.0.0.0", port = 8080, ...routes } = options
  return HttpServer.serve(makeHealthRouter(routes)).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port, host }))
  )
}
