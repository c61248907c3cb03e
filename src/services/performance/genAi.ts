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

/** The series of one operation, provider and model: of its successes and of its failures. */
interface Outcomes {
  succeeded: GenAiSeries | undefined
  failed: GenAiSeries | undefined
}

/** The GenAI series, at most `maxSeries` attribute sets; `add` says whether the operation found room. */
export class GenAiMetrics {
  // Found by operation, provider, model, then failed or not: a lookup per attribute and no key string built
  // per operation (a measured hot path); `ordered` lists them as they were made.
  private readonly byOperation = new Map<string | undefined, Map<string | undefined, Map<string | undefined, Outcomes>>>()
  private readonly ordered: Array<GenAiSeries> = []

  constructor(private readonly sketch: QuantileSketchOptions, private readonly maxSeries: number) {}

  add(op: AIOperation): boolean {
    const failed = op.success === false
    const outcomes = this.byOperation.get(op.operation)?.get(op.provider)?.get(op.model)
    let series = failed ? outcomes?.failed : outcomes?.succeeded
    if (series === undefined) {
      if (this.ordered.length >= this.maxSeries) return false
      series = this.create(op, failed)
    }
    series.seconds.add(op.totalMs / 1000)
    if (op.promptTokens !== undefined) series.inputTokens.add(op.promptTokens)
    if (op.completionTokens !== undefined) series.outputTokens.add(op.completionTokens)
    return true
  }

  private create(op: AIOperation, failed: boolean): GenAiSeries {
    const series: GenAiSeries = {
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
    let byProvider = this.byOperation.get(op.operation)
    if (byProvider === undefined) this.byOperation.set(op.operation, byProvider = new Map())
    let byModel = byProvider.get(op.provider)
    if (byModel === undefined) byProvider.set(op.provider, byModel = new Map())
    let outcomes = byModel.get(op.model)
    if (outcomes === undefined) byModel.set(op.model, outcomes = { succeeded: undefined, failed: undefined })
    if (failed) outcomes.failed = series
    else outcomes.succeeded = series
    this.ordered.push(series)
    return series
  }

  /** The series in the order they were made. */
  values(): IterableIterator<GenAiSeries> {
    return this.ordered.values()
  }

  clear(): void {
    this.byOperation.clear()
    this.ordered.length = 0
  }
}
