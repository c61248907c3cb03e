/**
 * What an OpenTelemetry GenAI span says about an AI call (semantic conventions `gen_ai.*`): the operation,
 * provider, model and token counts, read from the span's attributes.
 *
 * @internal
 */

/** The GenAI facts of one span; `undefined` fields were not set (or not of the expected type). */
export interface GenAICall {
  readonly operation: string | undefined
  readonly provider: string | undefined
  readonly model: string | undefined
  readonly inputTokens: number | undefined
  readonly outputTokens: number | undefined
  /** The span's `error.type` attribute, as the conventions name a failure's class. */
  readonly errorType: string | undefined
}

const label = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value.slice(0, 128) : undefined

const tokens = (value: unknown): number | undefined => {
  const n = typeof value === "bigint" ? Number(value) : value
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

/**
 * The GenAI facts of a span's attributes, or `undefined` when it names no operation, provider (current
 * `gen_ai.provider.name` or legacy `gen_ai.system`) or model.
 */
export const genAICallOf = (attributes: ReadonlyMap<string, unknown>): GenAICall | undefined => {
  if (attributes.size === 0) return undefined
  const operation = label(attributes.get("gen_ai.operation.name"))
  const provider = label(attributes.get("gen_ai.provider.name")) ?? label(attributes.get("gen_ai.system"))
  const model = label(attributes.get("gen_ai.request.model")) ?? label(attributes.get("gen_ai.response.model"))
  if (operation === undefined && provider === undefined && model === undefined) return undefined
  return {
    operation,
    provider,
    model,
    inputTokens: tokens(attributes.get("gen_ai.usage.input_tokens")),
    outputTokens: tokens(attributes.get("gen_ai.usage.output_tokens")),
    errorType: label(attributes.get("error.type"))
  }
}
