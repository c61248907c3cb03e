/**
 * A real `node:http` server on 127.0.0.1 for transport tests. Each request is recorded (method, path,
 * headers, body parsed as JSON when it is JSON) and answered from a script the test sets: a status
 * with headers and body, a hang that never answers, or a connection reset. It closes with its scope.
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
      received.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        text,
        json: parseJson(text),
        reply: reply._tag
      })
      switch (reply._tag) {
        case "respond":
          res.writeHead(reply.status, reply.headers ?? {})
          res.end(reply.body ?? "")
          return
        case "hang":
          hungClosed.push(new Promise((resolve) => res.on("close", () => resolve())))
          return
        case "reset":
          req.socket.destroy()
          return
      }
    })
  })

  const port = yield* Effect.acquireRelease(
    Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    }),
    () =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

  return {
    url: `http://127.0.0.1:${port}`,
    received: Effect.sync(() => [...received]),
    script: (...replies) => Effect.sync(() => { queue = replies }),
    always: (reply) => Effect.sync(() => { fallback = reply }),
    hungRequestsAbandoned: Effect.promise(() => Promise.all(hungClosed).then(() => undefined))
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
