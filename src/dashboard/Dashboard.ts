/**
 * See your telemetry: a live dashboard served from the process (`Dashboard.layer()`), and the same views as
 * one self-contained HTML file (`Dashboard.renderReport`, `Dashboard.reportFromFile`, and the
 * `effect-telemetry report` command).
 *
 * The dashboard reads the in-process services — `TelemetryCollector.stats`, `PerformanceMetrics` summaries,
 * `ErrorTracking` groups, `UsageAnalytics`, `HealthCheck` — into one JSON snapshot (O(metrics + groups),
 * never O(events)), keeps a bounded history of it sampled on a `Schedule`, and serves one page whose script
 * and styles come from the package (no CDN): it polls the snapshot and draws each chart beside a table of
 * its numbers.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import { NodeHttpServer } from "@effect/platform-node"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import * as Aggregate from "./EventAggregate.js"
import * as EventFile from "./EventFile.js"
import * as Html from "./Html.js"
import * as IntervalPercentiles from "./IntervalPercentiles.js"
import * as Recording from "./Recorder.js"
import * as Routes from "./Routes.js"
import * as Snapshots from "./Snapshot.js"

/**
 * What the dashboard and the report show: the collector's books, metrics, AI totals, web vitals, error
 * groups, usage, health, and their history.
 *
 * @since 0.2.0
 * @category models
 */
export type Snapshot = Snapshots.Snapshot

/**
 * One point of the history the charts draw over time.
 *
 * @since 0.2.0
 * @category models
 */
export type HistorySample = Snapshots.HistorySample

/**
 * The services the dashboard reads.
 *
 * @since 0.2.0
 * @category models
 */
export type Services = Snapshots.Services

/**
 * The dashboard's sampler and snapshot, provided by `Dashboard.layer` (or `Dashboard.layerRecorder` when you
 * mount `Dashboard.router` in your own server).
 *
 * @since 0.2.0
 * @category tags
 */
export const Recorder = Recording.Recorder

/**
 * The service of the `Recorder` tag.
 *
 * @since 0.2.0
 * @category models
 */
export type Recorder = Recording.Recorder

/**
 * How the history is sampled: `sampleInterval` (1 second), `historySize` (300 points), `title`.
 *
 * @since 0.2.0
 * @category models
 */
export type RecorderOptions = Recording.Options

/**
 * The routes' options: `token`, `refreshInterval`, plus the recorder's.
 *
 * @since 0.2.0
 * @category models
 */
export interface RouteOptions {
  /**
   * When set, every request must carry it, as `?token=` (the page's URL) or `Authorization: Bearer`;
   * others get 401. Default none.
   */
  readonly token?: string
  /** How often the page polls the snapshot. Default 1 second. */
  readonly refreshInterval?: Duration.DurationInput
}

/**
 * Where the live dashboard listens, and its routes' and recorder's options.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options extends RouteOptions, RecorderOptions {
  /** Default 9300; `0` picks a free port (read it with `Dashboard.url`). */
  readonly port?: number
  /** Default `127.0.0.1`: only this machine can reach it. */
  readonly host?: string
}

/**
 * The default port of `Dashboard.layer`, 9300.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultPort = 9300

/**
 * The dashboard's routes as an `HttpRouter` needing the `Recorder`: `GET /` (the page),
 * `GET /snapshot.json`, `GET /assets/page.js`, `GET /assets/page.css`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeRouter = (options: RouteOptions = {}): HttpRouter.HttpRouter<never, Recording.Recorder> =>
  Routes.make(options)

/**
 * The dashboard's routes without a token, polled every second; mount them in your own `HttpRouter`
 * (with `HttpRouter.mount`) and provide `Dashboard.layerRecorder()`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const router: HttpRouter.HttpRouter<never, Recording.Recorder> = makeRouter()

/**
 * The `Recorder` over the services in context: samples the history every `sampleInterval` (1 second),
 * keeping `historySize` points (300); closing the layer stops sampling.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerRecorder = (options: RecorderOptions = {}): Layer.Layer<Recording.Recorder, never, Services> =>
  Recording.layer(options)

/**
 * The live dashboard: a Node HTTP server on `127.0.0.1:9300` (by default) serving the page and its
 * snapshot for the layer's lifetime, over the services in context. Print its address with `Dashboard.url`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<HttpServer.HttpServer | Recording.Recorder, ServeError, Services> => {
  const { host = "127.0.0.1", port = defaultPort } = options
  return HttpServer.serve(makeRouter(options)).pipe(
    Layer.provideMerge(layerRecorder(options)),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port, host }))
  )
}

/**
 * The page's address on the running server, with `?token=` when one is given.
 *
 * @since 0.2.0
 * @category accessors
 */
export const url = (options: { readonly token?: string } = {}): Effect.Effect<string, never, HttpServer.HttpServer> =>
  Effect.map(HttpServer.HttpServer, (server) => {
    const address = server.address
    const base = address._tag === "TcpAddress"
      ? `http://${address.hostname === "0.0.0.0" || address.hostname === "::" ? "127.0.0.1" : address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${address.port}/`
      : `unix:${address.path}`
    return options.token === undefined ? base : `${base}?token=${encodeURIComponent(options.token)}`
  })

/**
 * The snapshot the page shows now, from the `Recorder` in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const snapshot: Effect.Effect<Snapshot, never, Recording.Recorder> = Effect.flatMap(
  Recording.Recorder,
  (recorder) => recorder.snapshot
)

/**
 * The services' aggregates now, with no history, read directly (without a `Recorder`).
 *
 * @since 0.2.0
 * @category accessors
 */
export const snapshotNow = (title?: string): Effect.Effect<Snapshot, never, Services> =>
  Effect.flatMap(Snapshots.read(title), (current) =>
    Effect.map(
      Snapshots.intervalsSince(IntervalPercentiles.make(), current),
      (tick) => ({ ...current, history: [Snapshots.sampleOf(current, undefined, tick)] })
    ))

/**
 * One self-contained HTML file of a snapshot — the dashboard's views, its script and styles inline, and a
 * policy that forbids any request — to open from disk or attach to a post-mortem.
 *
 * @since 0.2.0
 * @category constructors
 */
export const renderReport = (snapshot: Snapshot): Effect.Effect<string> => Html.report(snapshot)

/**
 * The file could not be opened or read (a line that is not an event is skipped and counted instead).
 *
 * @since 0.2.0
 * @category errors
 */
export const EventFileError = EventFile.EventFileError

/**
 * The error of `reportFromFile` when the file cannot be read.
 *
 * @since 0.2.0
 * @category errors
 */
export type EventFileError = EventFile.EventFileError

/**
 * A snapshot of a file of our events — NDJSON as the file transport writes it, or wire-format batches one
 * per line — read as a stream (memory does not grow with the file). Malformed or truncated lines are
 * skipped and counted in `input.malformed`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const snapshotFromFile = (
  path: string,
  options: { readonly title?: string } = {}
): Effect.Effect<Snapshot, EventFile.EventFileError> =>
  Effect.gen(function*() {
    const aggregate = Aggregate.make(options.title ?? `effect-telemetry report: ${path}`)
    const counts = yield* EventFile.read(path, aggregate.add)
    const now = yield* Clock.currentTimeMillis
    return aggregate.snapshot(
      { file: path, bytes: counts.bytes, lines: counts.lines, malformed: counts.malformed, malformedByReason: counts.malformedByReason },
      now
    )
  })

/**
 * The static report of a file of events: `snapshotFromFile` rendered by `renderReport`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const reportFromFile = (
  path: string,
  options: { readonly title?: string } = {}
): Effect.Effect<{ readonly html: string; readonly snapshot: Snapshot }, EventFile.EventFileError> =>
  Effect.flatMap(snapshotFromFile(path, options), (snapshot) =>
    Effect.map(renderReport(snapshot), (html) => ({ html, snapshot })))
