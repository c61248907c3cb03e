/**
 * A real `node:http` server on 127.0.0.1 for transport tests. Each request is recorded (method, path,
 * headers, body parsed as JSON when it is JSON) and answered from a script the test sets: a status
 * with headers and body, a hang that never answers, or a connection reset. It can also be taken down
 * (nothing listens: connections are refused) and brought back on the same port. It closes with its scope.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

/** How the server answers one request. */
export type Reply =
  | {
    readonly _tag: "respond"
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: string
  }
  | { readonly _tag: "hang" }
  | { readonly _tag: "reset" }

export const respond = (
  status: number,
  headers: Readonly<Record<string, string>> = {},
  body = ""
): Reply => ({ _tag: "respond", status, headers, body })
/** Never answer; the connection stays open until the client gives up or the server closes. */
export const hang: Reply = { _tag: "hang" }
/** Destroy the socket once the request has been read, without any answer. */
export const reset: Reply = { _tag: "reset" }

/** A request as the server received it. */
export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  /** The raw body. */
  readonly text: string
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown
  /** How the server answered it. */
  readonly reply: Reply["_tag"]
  /** The status it answered with, when it answered. */
  readonly status?: number
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Every request received so far, in order. */
  readonly received: Effect.Effect<ReadonlyArray<ReceivedRequest>>
  /** Answer the next requests with these replies, in order, then with the fallback. */
  readonly script: (...replies: ReadonlyArray<Reply>) => Effect.Effect<void>
  /** Answer every request not covered by `script` with this reply (initially `200`). */
  readonly always: (reply: Reply) => Effect.Effect<void>
  /** Succeeds once the client has closed every connection the server left hanging. */
  readonly hungRequestsAbandoned: Effect.Effect<void>
  /** Requests being left unanswered (a `hang`) whose connection is still open. */
  readonly hanging: Effect.Effect<ReadonlyArray<ReceivedRequest>>
  /** Stops listening and drops every connection: from now on, connecting is refused. */
  readonly down: Effect.Effect<void>
  /** Listens again, on the same port. */
  readonly up: Effect.Effect<void>
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Starts a server on a free port; it stops, dropping every open connection, when the scope closes. */
export const make: Effect.Effect<TestServer, never, Scope.Scope> = Effect.gen(function*() {
  // Node's callbacks run outside any fiber, so the server keeps its state in plain fields read
  // through `Effect.sync`; nothing else writes them.
  const received: Array<ReceivedRequest> = []
  let queue: ReadonlyArray<Reply> = []
  let fallback: Reply = respond(200)
  const hungClosed: Array<Promise<void>> = []
  const hungOpen = new Set<ReceivedRequest>()

  const nextReply = (): Reply => {
    const [head, ...rest] = queue
    if (head === undefined) return fallback
    queue = rest
    return head
  }

  const server = Http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      const reply = nextReply()
      const request: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        text,
        json: parseJson(text),
        reply: reply._tag,
        ...(reply._tag === "respond" ? { status: reply.status } : {})
      }
      received.push(request)
      switch (reply._tag) {
        case "respond":
          res.writeHead(reply.status, reply.headers ?? {})
          res.end(reply.body ?? "")
          return
        case "hang":
          hungOpen.add(request)
          hungClosed.push(new Promise((resolve) =>
            res.on("close", () => {
              hungOpen.delete(request)
              resolve()
            })
          ))
          return
        case "reset":
          req.socket.destroy()
          return
      }
    })
  })

  const listen = (port: number) =>
    Effect.async<number>((resume) => {
      const onError = (error: Error) => resume(Effect.die(error))
      server.once("error", onError)
      server.listen(port, "127.0.0.1", () => {
        server.off("error", onError)
        resume(Effect.succeed((server.address() as AddressInfo).port))
      })
    })
  // `close` answers (with an error we ignore) even when the server is already down.
  const close = Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  })

  const port = yield* Effect.acquireRelease(listen(0), () => close)

  return {
    url: `http://127.0.0.1:${port}`,
    received: Effect.sync(() => [...received]),
    script: (...replies) => Effect.sync(() => { queue = replies }),
    always: (reply) => Effect.sync(() => { fallback = reply }),
    hungRequestsAbandoned: Effect.promise(() => Promise.all(hungClosed).then(() => undefined)),
    hanging: Effect.sync(() => [...hungOpen]),
    down: close,
    up: Effect.asVoid(listen(port))
  }
})

/** A URL on 127.0.0.1 where nothing listens: a port just bound and released again. */
export const closedUrl: Effect.Effect<string> = Effect.async<string>((resume) => {
  const probe = Http.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as AddressInfo
    probe.close(() => resume(Effect.succeed(`http://127.0.0.1:${port}`)))
  })
})
