/**
 * A transport that appends each event as one JSON line to a local file: the embedded default sink of
 * the examples, and a simple way to keep telemetry on disk.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Either, Layer } from "effect"
import { TransportError } from "../schemas/errors.js"
import { encodeJsonLines, Transport } from "./Transport.js"

/** Builds a transport appending NDJSON to `file`, creating its folder if needed. */
export const makeFileTransport = (file: string): Effect.Effect<Transport["Type"], never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const directory = path.dirname(path.resolve(file))
    const ioError = (cause: unknown) =>
      new TransportError({ reason: "io", retryable: true, message: `cannot append to ${file}: ${String(cause)}`, cause })
    return Transport.of({
      // The whole batch is encoded before anything is written: one bad event appends nothing, so the
      // collector can isolate it and re-send the rest without duplicates.
      send: (batch) =>
        Effect.suspend(() => {
          const lines = encodeJsonLines(batch)
          return Either.isLeft(lines) ? Effect.fail(lines.left) : Effect.mapError(
            Effect.zipRight(
              fs.makeDirectory(directory, { recursive: true }),
              fs.writeFileString(file, lines.right.map((line) => line + "\n").join(""), { flag: "a" })
            ),
            ioError
          )
        })
    })
  })

/** A transport appending NDJSON to `file`. */
export const layerFileTransport = (file: string): Layer.Layer<Transport, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(Transport, makeFileTransport(file))
