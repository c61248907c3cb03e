/**
 * A real `node:http` server on 127.0.0.1 for the browser tests: it serves the test page and its bundle,
 * and records what reaches the telemetry endpoint `POST /collect`, answering with a status the test
 * sets. It closes with its scope.
 */
import * as Http from "node:http"
import { listen } from "../../support/listen.js"
import { Effect, Schedule, type Scope } from "effect"

/** A request to `/collect` as the server received it. */
export interface Delivery {
  readonly headers: Http.IncomingHttpHeaders
  /** The raw body. */
  readonly text: string
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown
  /** The status it was answered with. */
  readonly status: number
}

export interface PageServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** The URL of the test page with these options (see `page/api.ts`). */
  readonly pageUrl: (options?: object) => string
  /** A page of the same origin without telemetry, to look at localStorage between loads. */
  readonly blankUrl: string
  /** Every request to `/collect` so far, in order. */
  readonly deliveries: Effect.Effect<ReadonlyArray<Delivery>>
  /** Answer the following requests to `/collect` with this status (initially 200). */
  readonly answer: (status: number) => Effect.Effect<void>
  /**
   * Waits until the deliveries satisfy `done`, and returns them. Fails after 20 seconds: a beacon takes
   * milliseconds, but a browser and a server sharing two busy cores can take seconds.
   */
  readonly awaitDeliveries: (
    done: (deliveries: ReadonlyArray<Delivery>) => boolean
  ) => Effect.Effect<ReadonlyArray<Delivery>>
}

/**
 * The page: a large heading and text (the LCP candidates), a button whose handler keeps the main thread
 * busy for 120 ms (a measurable interaction for INP), and the bundle.
 */
const pageHtml = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>effect-telemetry test page</title><link rel="icon" href="data:,"></head>
<body>
<main id="content">
<h1 style="font-size:64px;margin:0">Telemetry test page</h1>
<p style="font-size:24px;max-width:40em">${"Events tracked here are delivered when the page goes away. ".repeat(8)}</p>
<button id="slow" style="font-size:24px" onclick="const t = performance.now(); while (performance.now() - t < 120) {}">Slow button</button>
</main>
<script src="/bundle.js"></script>
</body>
</html>
`

const blankHtml = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>blank</body></html>`

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Starts a server serving `bundle` as the page script. */
export const make = (bundle: string): Effect.Effect<PageServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Node's callbacks run outside any fiber: state lives in plain fields read through `Effect.sync`.
    const deliveries: Array<Delivery> = []
    let status = 200

    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const path = (req.url ?? "/").split("?")[0]
        if (req.method === "POST" && path === "/collect") {
          const text = Buffer.concat(chunks).toString("utf8")
          deliveries.push({ headers: req.headers, text, json: parseJson(text), status })
          res.writeHead(status, { "content-type": "text/plain" })
          res.end(status < 300 ? "" : "unavailable")
          return
        }
        const body = path === "/page.html" ? pageHtml : path === "/blank.html" ? blankHtml : path === "/bundle.js" ? bundle : undefined
        if (req.method !== "GET" || body === undefined) {
          res.writeHead(404)
          res.end()
          return
        }
        res.writeHead(200, {
          "content-type": path === "/bundle.js" ? "text/javascript; charset=utf-8" : "text/html; charset=utf-8",
          "cache-control": "no-store"
        })
        res.end(body)
      })
    })

    const port = yield* listen(server)
    const origin = `http://127.0.0.1:${port}`
    const snapshot = Effect.sync(() => [...deliveries])

    return {
      origin,
      pageUrl: (options = {}) => `${origin}/page.html?options=${encodeURIComponent(JSON.stringify(options))}`,
      blankUrl: `${origin}/blank.html`,
      deliveries: snapshot,
      answer: (next) =>
        Effect.sync(() => {
          status = next
        }),
      awaitDeliveries: (done) =>
        snapshot.pipe(
          Effect.filterOrFail(done),
          Effect.retry(Schedule.spaced("20 millis")),
          Effect.timeoutFail({
            duration: "20 seconds",
            onTimeout: () => new Error(`expected deliveries did not arrive: ${JSON.stringify(deliveries.map((d) => d.json))}`)
          }),
          Effect.orDie
        )
    }
  })
