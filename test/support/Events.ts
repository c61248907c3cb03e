/** Events for transport tests: a well-formed one, and arbitrary ones no validation has seen. */
import * as fc from "fast-check"
import type { TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"

/** A valid chat event with the given id and data. */
export const event = (id: string, data: TelemetryEvent["data"] = { n: 1 }): TelemetryEvent => ({
  id,
  type: "chat.message",
  kind: "custom",
  timestamp: 1_700_000_000_000,
  sessionId: "s",
  data
})

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, NaN, Infinity, -Infinity, -0, 1e306, Number.MAX_VALUE, 2 ** 64),
    fc.double(),
    fc.string(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 3 })
  )
})).value

/**
 * Events as a transport may meet them after an old outbox or a custom collector: any string ids and
 * types, any numbers (huge, NaN, infinite timestamps), data keys drawn from `dataKeys`.
 */
export const hostileEvent = (dataKeys: fc.Arbitrary<string> = fc.string()) =>
  fc.record({
    id: fc.string(),
    type: fc.string(),
    kind: fc.constantFrom("custom", "error", "performance"),
    timestamp: fc.oneof(fc.double(), fc.constantFrom(1e306, -1, NaN, Infinity, 8.64e15)),
    sessionId: fc.string(),
    data: fc.dictionary(dataKeys, json, { maxKeys: 4 }),
    tags: fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 })
  })
