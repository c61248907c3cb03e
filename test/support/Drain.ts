/** Reading an outbox out in tests. */
import { Effect, Option } from "effect"
import type * as Outbox from "../../src/services/Outbox.js"

/** Reads and removes every stored batch, oldest first; their ids. */
export const drainIds = (outbox: Outbox.Outbox["Type"]) =>
  Effect.gen(function*() {
    const ids: Array<string> = []
    while (true) {
      const { batch: found } = yield* outbox.oldest
      if (Option.isNone(found)) return ids
      ids.push(found.value.batchId)
      yield* outbox.remove(found.value.batchId)
    }
  })
