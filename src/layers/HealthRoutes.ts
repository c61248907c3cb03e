/**
 * HTTP routes over HealthCheck, for load balancers and Kubernetes probes:
 *
 * - `GET /health` — the full report as `application/health+json`; 200 for pass/warn, 503 for fail.
 * - `GET /health/live` — liveness: the polling fibers are running (restart the process if not).
 * - `GET /health/ready` — readiness: every critical service is HEALTHY or DEGRADED (send traffic).
 *
 * Published as the `HealthServer` namespace: mount `HealthServer.router` (or `HealthServer.makeRouter(...)`)
 * in your own `HttpRouter`, or serve the routes alone with `HealthServer.layer(...)`.
 *
 * Any peer that reaches the port may read these documents: check errors in them are redacted and carry no
 * stack frames or file-system paths unless the HealthCheck layer has `exposeErrorDetails`.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { ServeError } from "@effect/platform/HttpServerError"
import { NodeHttpServer } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
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

/**
 * Where the routes live and how the service names itself in the documents (`serviceId`, `version`, …).
 *
 * @since 0.2.0
 * @category models
 */
export interface RouteOptions extends HealthJsonInfo {
  /** The report's path; liveness and readiness are under it. Default `/health`. */
  readonly path?: `/${string}`
}

/**
 * Where the standalone health server listens, and its routes' options.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options extends RouteOptions {
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

/**
 * The health routes as an `HttpRouter` needing `HealthCheck`: `GET <path>`, `<path>/live`, `<path>/ready`
 * (default path `/health`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeRouter = (options: RouteOptions = {}): HttpRouter.HttpRouter<never, HealthCheck> => {
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

/**
 * The health routes at `/health`, `/health/live` and `/health/ready`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const router: HttpRouter.HttpRouter<never, HealthCheck> = makeRouter()

/**
 * A Node HTTP server serving only the health routes, for the lifetime of the layer; defaults: port 8080
 * on `0.0.0.0`, routes at `/health`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<HttpServer.HttpServer, ServeError, HealthCheck> => {
  const { host = "0.0.0.0", port = 8080, ...routes } = options
  return HttpServer.serve(makeRouter(routes)).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port, host }))
  )
}
