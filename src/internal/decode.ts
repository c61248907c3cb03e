/**
 * Input validation shared by the services: a schema decode whose error names the first offending field.
 *
 * @internal
 */
import { Either, ParseResult, type Schema } from "effect"

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
