/**
 * A batch as JSON lines, the format of the console and file transports.
 *
 * @internal
 */
import * as Either from "effect/Either"
import { TransportError } from "../../schemas/errors.js"
import type { Batch } from "../../schemas/TelemetryEvent.js"
import { describeThrown, showId } from "./failureText.js"

/**
 * A batch as JSON lines, one per event, or an `encode` failure naming the batch and the first event that
 * cannot be written as JSON. Never throws (a `BigInt`, a cycle or a throwing getter included).
 *
 * @internal
 */
export const encodeJsonLines = (batch: Batch): Either.Either<ReadonlyArray<string>, TransportError> => {
  const lines: Array<string> = []
  for (const event of batch.events) {
    try {
      lines.push(JSON.stringify(event))
    } catch (cause) {
      return Either.left(
        new TransportError({
          reason: "encode",
          retryable: false,
          message: `cannot encode batch ${showId(batch.batchId)}: event ${showId(event?.id)}: ${describeThrown(cause)}`,
          cause
        })
      )
    }
  }
  return Either.right(lines)
}
