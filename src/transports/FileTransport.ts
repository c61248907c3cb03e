/**
 * A transport that appends each event as one JSON line to a local file: the embedded default sink of
 * the examples, and a simple way to keep telemetry on disk.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { TransportError } from "../schemas/errors.js"
import { encodeJsonLines } from "./internal/jsonLines.js"
import { Transport, type TransportService } from "./TransportTag.js"

/** Where the file transport writes. */
export interface FileTransportOptions {
  /** The NDJSON file events are appended to; its folder is created when missing. */
  readonly path: string
}

const pathOf = (file: string | FileTransportOptions): string => typeof file === "string" ? file : file.path

/** Builds a transport appending NDJSON to `file`, creating its folder if needed (see `Transport.makeFile`). */
export const makeFile = (
  file: string | FileTransportOptions
): Effect.Effect<TransportService, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const target = pathOf(file)
    const directory = path.dirname(path.resolve(target))
    const ioError = (cause: unknown) =>
      new TransportError({ reason: "io", retryable: true, message: `cannot append to ${target}: ${String(cause)}`, cause })
    return {
      // The whole batch is encoded before anything is written: one bad event appends nothing, so the
      // collector can isolate it and re-send the rest without duplicates.
      send: (batch) =>
        Effect.suspend(() => {
          const lines = encodeJsonLines(batch)
          return Either.isLeft(lines) ? Effect.fail(lines.left) : Effect.mapError(
            Effect.zipRight(
              fs.makeDirectory(directory, { recursive: true }),
              fs.writeFileString(target, lines.right.map((line) => line + "\n").join(""), { flag: "a" })
            ),
            ioError
          )
        })
    }
  })

/** The file transport as a layer (see `Transport.file`). */
export const layerFile = (
  file: string | FileTransportOptions
): Layer.Layer<Transport, never, FileSystem.FileSystem | Path.Path> => Layer.effect(Transport, makeFile(file))
