/**
 * Input validation shared by the services: a schema decode whose error names the first offending field,
 * and the one rule for service options — decoded with a Schema into the service's tagged options error.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"

/**
 * Validates input against `schema`; a failure becomes `error(field, message)` for the first offending
 * field, named by its path under `root` (`"feature"`, `"attributes.size"`) or, for a struct argument, its
 * own path (`"durationMs"`); `"input"` when the whole value is wrong. Excess properties are refused.
 */
export const firstIssue = <A, I, E>(
  schema: Schema.Schema<A, I>,
  error: (field: string, message: string) => E,
  root?: string
) => {
  const run = ParseResult.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "error" })
  return (input: unknown): Either.Either<A, E> =>
    Either.mapLeft(run(input), (issue) => {
      const [first] = ParseResult.ArrayFormatter.formatIssueSync(issue)
      const path = [...(root === undefined ? [] : [root]), ...(first?.path.map(String) ?? [])]
      return error(path.length === 0 ? "input" : path.join("."), first?.message ?? "is invalid")
    })
}

/** What an options error says. */
export interface OptionsErrorFields {
  /** The path of the offending option (`"maxBreadcrumbs"`, `"defaults.interval"`), `"input"` for all of them. */
  readonly option: string
  /** What is wrong with it. */
  readonly reason: string
}

/**
 * The base of every service's options error: which option is wrong and why. Its `name` is its tag, so it
 * prints as `ErrorTrackingOptionsError: option maxBreadcrumbs: Expected an integer ≥ 1, actual 0`.
 */
export const OptionsError = <const Tag extends string>(
  tag: Tag
): new(fields: OptionsErrorFields) => Cause.YieldableError & { readonly _tag: Tag } & OptionsErrorFields =>
  class extends Data.TaggedError(tag)<OptionsErrorFields> {
    override get message(): string {
      return `option ${this.option}: ${this.reason}`
    }
  }

/**
 * Decodes a service's options (an absent value counts as `{}`, so the schema's defaults apply) into its
 * options error for the first offending option. Excess options are refused, so a misspelt one is reported.
 */
export const decodeOptions = <A, I, E>(
  schema: Schema.Schema<A, I>,
  error: (fields: { readonly option: string; readonly reason: string }) => E
) => {
  const run = firstIssue(schema, (option, reason) => error({ option, reason }))
  return (options: I | undefined): Effect.Effect<A, E> => Either.match(run(options ?? {}), { onLeft: Effect.fail, onRight: Effect.succeed })
}
