/**
 * The collector's options given as an object: each optional, validated by the configuration's own rules
 * and defaults (`fromOptions`, as for the environment), refused with the service's options error naming
 * the option at fault.
 *
 * @internal
 */
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { OptionsErrorFields } from "../decode.js"
import { type CoreConfig, type CoreOptions, coreVariables, fromCoreOptions } from "../../schemas/CoreConfig.js"

/** The settings the collector reads, as named in the configuration (`CoreConfig`, the settings browsers share). */
export const optionNames = [
  "enabled",
  "maxBatchSize",
  "maxBufferSize",
  "flushInterval",
  "shutdownTimeout",
  "flushTimeout",
  "maxAttempts",
  "retryBaseDelay",
  "retryMaxDelay",
  "release",
  "environment",
  "globalTags"
] as const

type OptionName = typeof optionNames[number]

const durations: ReadonlySet<string> = new Set(["flushInterval", "shutdownTimeout", "flushTimeout", "retryBaseDelay", "retryMaxDelay"])

/** The options as given: every field optional, durations as any `DurationInput`, `release` as a string. */
export type Options = Pick<CoreOptions, OptionName>

/** The options decoded, every default applied. */
export type Decoded = Pick<CoreConfig, OptionName>

/** The option a configuration variable sets. */
const optionOf = (variable: string): string | undefined =>
  Object.entries(coreVariables).find(([, name]) => name === variable)?.[0]

/** The first failure of a `ConfigError`, as the option it names and the last line of its message. */
export const describeConfigError = (error: ConfigError.ConfigError): OptionsErrorFields => {
  let first: ConfigError.ConfigError = error
  while (first._op === "And" || first._op === "Or") first = first.left
  const path = first._op === "InvalidData" || first._op === "MissingData" || first._op === "SourceUnavailable" ||
      first._op === "Unsupported"
    ? first.path
    : []
  const message = "message" in first ? String(first.message) : String(first)
  const lines = message.split("\n").map((line) => line.replace(/^[\s│├└─]+/, "")).filter((line) => line !== "")
  return {
    option: path.length === 0 ? "input" : optionOf(path[0]!) ?? path.join("."),
    reason: lines.at(-1) ?? message
  }
}

/**
 * Decodes the options with the configuration's rules and defaults; an unknown (misspelt) option, a value
 * of the wrong kind or out of range fails with `toError` naming it.
 */
export const decode = <E>(toError: (fields: OptionsErrorFields) => E) =>
(options: Options | undefined): Effect.Effect<Decoded, E> =>
  Effect.suspend(() => {
    if (options === undefined) options = {}
    if (typeof options !== "object" || options === null) {
      return Effect.fail(toError({ option: "input", reason: "Expected an object of options" }))
    }
    const given: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(options)) {
      if (!(optionNames as ReadonlyArray<string>).includes(name)) {
        return Effect.fail(toError({ option: name, reason: "is not an option of TelemetryCollector" }))
      }
      if (!durations.has(name) || value === undefined || typeof value === "string") {
        given[name] = value
        continue
      }
      // A number is milliseconds, as everywhere in Effect; `fromCoreOptions` would read it as text.
      const duration = Duration.decodeUnknown(value)
      if (Option.isNone(duration)) {
        return Effect.fail(toError({ option: name, reason: "Expected a duration such as \"30 seconds\"" }))
      }
      given[name] = duration.value
    }
    return fromCoreOptions(given as CoreOptions).pipe(
      Effect.mapError((error) => toError(describeConfigError(error))),
      Effect.map((config): Decoded => {
        const picked: Record<string, unknown> = {}
        for (const name of optionNames) picked[name] = config[name]
        return picked as Decoded
      })
    )
  })
