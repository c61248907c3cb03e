/**
 * A collector on 127.0.0.1 for the OTLP tests: it keeps every request (path, headers, raw body) and answers
 * `answer.reply` (default 200, empty); closed with the test's scope.
 */
import { Effect } from "effect"
import * as Http from "node:http"
import { listen } from "../support/listen.js"

export interface Received {
  readonly path: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

export interface Reply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Uint8Array | string
}

/** A collector on 127.0.0.1 keeping every request's raw body, answering `reply` (default 200, empty). */
export const collector = Effect.gen(function*() {
  const received: Array<Received> = []
  const answer: { reply: Reply } = { reply: { status: 200 } }
  const server = Http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) })
      res.writeHead(answer.reply.status, answer.reply.headers ?? {})
      res.end(answer.reply.body ?? "")
    })
  })
  const port = yield* listen(server)
  return { url: `http://127.0.0.1:${port}`, received, answer }
})

