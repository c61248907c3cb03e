/**
 * The live dashboard's HTTP routes: the page, its snapshot and its assets, each behind the optional token
 * and with headers that keep the page to its own origin.
 *
 * @internal
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { page } from "./Html.js"
import * as PageAssets from "./PageAssets.js"
import * as Recording from "./Recorder.js"

/** The routes' options (documented on `Dashboard.RouteOptions`). */
export interface RouteOptions {
  readonly token?: string
  readonly refreshInterval?: Duration.DurationInput
}

/** Headers of every response. */
export const securityHeaders = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
} as const

const digest = (text: string) => createHash("sha256").update(text).digest()

/** Whether the request carries the token (compared in constant time). */
const authorized = (token: string | undefined) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    if (token === undefined) return true
    const given = new URL(request.url, "http://localhost").searchParams.get("token") ??
      /^Bearer\s+(.+)$/i.exec(request.headers["authorization"] ?? "")?.[1]
    return given !== undefined && timingSafeEqual(digest(given), digest(token))
  })

/** `?since=T` (epoch ms): the page already holds the history up to `T`. Anything else asks for all of it. */
const since = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const value = new URL(request.url, "http://localhost").searchParams.get("since")
  const t = value === null || value === "" ? Number.NaN : Number(value)
  return Number.isFinite(t) ? t : undefined
})

const guarded = <E, R>(token: string | undefined, respond: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(authorized(token), (ok) =>
    ok
      ? respond
      : Effect.succeed(HttpServerResponse.text("a valid token is required (?token=…)", { status: 401, headers: securityHeaders })))

/** The routes as an `HttpRouter` needing the `Recorder`. */
export const make = (options: RouteOptions = {}): HttpRouter.HttpRouter<never, Recording.Recorder> => {
  const { token } = options
  const refreshMs = Duration.toMillis(Duration.decode(options.refreshInterval ?? "1 second"))
  const query = token === undefined ? "" : `?token=${encodeURIComponent(token)}`
  const html = page({
    title: "effect-telemetry dashboard",
    refreshMs,
    head: `<link rel="stylesheet" href="assets/page.css${query}">`,
    body: `<script src="assets/page.js${query}"></script>`
  })
  return HttpRouter.empty.pipe(
    HttpRouter.get("/", guarded(token, Effect.succeed(HttpServerResponse.html(html).pipe(HttpServerResponse.setHeaders(securityHeaders))))),
    HttpRouter.get(
      "/snapshot.json",
      guarded(
        token,
        Effect.flatMap(Effect.zip(Recording.Recorder, since), ([recorder, since]) =>
          since === undefined ? recorder.snapshot : recorder.snapshotSince(since)).pipe(
            Effect.map((snapshot) => HttpServerResponse.unsafeJson(snapshot, { headers: securityHeaders }))
          )
      )
    ),
    HttpRouter.get(
      "/assets/page.js",
      guarded(token, Effect.map(PageAssets.assets, (a) =>
        HttpServerResponse.text(a.script, { contentType: "text/javascript; charset=utf-8", headers: securityHeaders })))
    ),
    HttpRouter.get(
      "/assets/page.css",
      guarded(token, Effect.map(PageAssets.assets, (a) =>
        HttpServerResponse.text(a.style, { contentType: "text/css; charset=utf-8", headers: securityHeaders })))
    )
  )
}
