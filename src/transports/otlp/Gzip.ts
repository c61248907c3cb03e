/**
 * OTLP's `compression: "gzip"`: request bodies gzipped through the platform's `CompressionStream` (browsers,
 * Node 18+, Deno, Bun). Only the OTLP senders reach this module, so the HTTP transport's bundles do without it.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { TransportError } from "../../schemas/errors.js"
import { describeThrown } from "../internal/failureText.js"
import type { BodyCompression } from "../internal/post.js"

const gzipCompression: BodyCompression = {
  encoding: "gzip",
  compress: (body) =>
    Effect.tryPromise({
      try: async () => {
        const stream = new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"))
        return new Uint8Array(await new Response(stream).arrayBuffer())
      },
      catch: (cause) =>
        new TransportError({ reason: "encode", retryable: false, message: `cannot gzip the request body: ${describeThrown(cause)}`, cause })
    })
}

/** Gzip as a body compression, or `undefined` where the runtime has no `CompressionStream` (bodies go uncompressed). */
export const gzip = (): BodyCompression | undefined => typeof CompressionStream === "function" ? gzipCompression : undefined
