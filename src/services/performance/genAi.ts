/**
 * AI operations as the OpenTelemetry GenAI semantic conventions measure them: the duration of each
 * operation in seconds (`gen_ai.client.operation.duration`) and its input and output tokens
 * (`gen_ai.client.token.usage`), per set of `gen_ai.*` attributes.
 *
 * The durations get sketches of their own, fed seconds: the millisecond buckets rescaled by 1/1000 would
 * not fall on base-2 boundaries, so that export could not be exact.
 *
 * @internal
 */
import { QuantileSketch, type QuantileSketchOptions } from "../../internal/QuantileSketch.js"
import type { Attributes } from "../../transports/otlp/Model.js"
import type { AIOperation } from "../../schemas/PerformanceEvents.js"

/** The attribute names of the GenAI semantic conventions (v1.37). */
export const genAiAttribute = {
  operation: "gen_ai.operation.name",
  provider: "gen_ai.provider.name",
  model: "gen_ai.request.model",
  tokenType: "gen_ai.token.type",
  errorType: "error.type"
} as const

/** The sketches of one attribute set. */
export interface GenAiSeries {
  readonly attributes: Attributes
  readonly seconds: QuantileSketch
  readonly inputTokens: QuantileSketch
  readonly outputTokens: QuantileSketch
}

const part = (value: string | undefined): string => (value === undefined ? "-" : `${value.length}:${value}`)

/** The GenAI series, at most `maxSeries` attribute sets; `add` says whether the operation found room. */
export class GenAiMetrics {
  private readonly series = new Map<string, GenAiSeries>()

  constructor(private readonly sketch: QuantileSketchOptions, private readonly maxSeries: number) {}

  add(op: AIOperation): boolean {
    const failed = op.success === false
    const key = part(op.operation) + part(op.provider) + part(op.model) + (failed ? "!" : "")
    let series = this.series.get(key)
    if (series === undefined) {
      if (this.series.size >= this.maxSeries) return false
      series = {
        attributes: {
          [genAiAttribute.operation]: op.operation,
          [genAiAttribute.provider]: op.provider,
          [genAiAttribute.model]: op.model,
          // The conventions ask for the error's type; an AIOperation only says that it failed.
          [genAiAttribute.errorType]: failed ? "_OTHER" : undefined
        },
        seconds: new QuantileSketch(this.sketch),
        inputTokens: new QuantileSketch(this.sketch),
        outputTokens: new QuantileSketch(this.sketch)
      }
      this.series.set(key, series)
    }
    series.seconds.add(op.totalMs / 1000)
    if (op.promptTokens !== undefined) series.inputTokens.add(op.promptTokens)
    if (op.completionTokens !== undefined) series.outputTokens.add(op.completionTokens)
    return true
  }

  values(): IterableIterator<GenAiSeries> {
    return this.series.values()
  }

  clear(): void {
    this.series.clear()
  }
}
