/** Parts of a collector for its module tests: a sampler keeping types by a predicate, a marking redactor. */
import type { Redactor } from "../../src/services/Redactor.js"
import type { Sampler } from "../../src/services/Sampler.js"
import { Effect } from "effect"

export const sampler = (keep: (type: string) => boolean = () => true): Sampler["Type"] => ({
  shouldSample: (type) => Effect.succeed(keep(type)),
  unsafeShouldSample: keep
})

/** Upper-cases every string value (so a test sees what went through it) and prefixes user ids with `p:`. */
export const marking: Redactor["Type"] = {
  redact: <A>(value: A): A =>
    (typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v.toUpperCase() : v]))
      : value) as A,
  redactString: (value) => value.toUpperCase(),
  pseudonymize: (userId) => `p:${userId}`
}

/** Leaves values as they are; prefixes user ids with `p:`. */
export const pseudonymizing: Redactor["Type"] = {
  redact: (value) => value,
  redactString: (value) => value,
  pseudonymize: (userId) => `p:${userId}`
}
