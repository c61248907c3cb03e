/**
 * What our OTLP export is made of, before it is encoded as JSON or protobuf: resources and scopes, log
 * records, spans and metric points, shaped as the OTLP protos shape them but with JavaScript values
 * (times as `bigint` nanoseconds since the epoch, ids as lowercase hex). The signal builders (`Logs`,
 * `Metrics`, `Traces`) produce it; the encoders (`Json`, `Protobuf`) write it.
 *
 * @internal
 */

/**
 * An attribute or body value, mapped to OTLP's `AnyValue` by its JavaScript type: a string, a boolean, an
 * integral number (`intValue`) or another number (`doubleValue`), a `bigint` (`intValue`), bytes, an array,
 * a plain object (`kvlistValue`); `null` and `undefined` are an empty value.
 */
export type AnyValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | null
  | undefined
  | ReadonlyArray<AnyValue>
  | { readonly [key: string]: AnyValue }

/** Attributes in insertion order; an `undefined` value is left out. */
export type Attributes = { readonly [key: string]: AnyValue }

/** A resource: who exports (`service.name`, `telemetry.sdk.*`, …). */
export interface Resource {
  readonly attributes: Attributes
}

/** An instrumentation scope: which library produced the signal. */
export interface Scope {
  readonly name: string
  readonly version?: string
}

/** One log record (an event). `traceId` / `spanId` link it to the span that was current. */
export interface LogRecord {
  readonly timeUnixNano: bigint
  readonly observedTimeUnixNano: bigint
  /** OTLP `SeverityNumber`: 1–24, 9 INFO, 17 ERROR, 21 FATAL. */
  readonly severityNumber: number
  readonly severityText: string
  readonly eventName?: string
  readonly body?: AnyValue
  readonly attributes: Attributes
  /** 32 lowercase hex characters. */
  readonly traceId?: string
  /** 16 lowercase hex characters. */
  readonly spanId?: string
}

/** OTLP `Span.SpanKind`. */
export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer"

/** One ended span, as the tracer bridge records it. */
export interface SpanRecord {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: SpanKind
  readonly startTimeUnixNano: bigint
  readonly endTimeUnixNano: bigint
  readonly attributes: Attributes
  readonly events: ReadonlyArray<{ readonly name: string; readonly timeUnixNano: bigint; readonly attributes: Attributes }>
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string; readonly attributes: Attributes }>
  readonly status: { readonly code: "unset" | "ok" | "error"; readonly message?: string }
}

/** What every metric point carries. Sums and histograms are cumulative from `startTimeUnixNano`. */
export interface PointBase {
  readonly attributes: Attributes
  readonly startTimeUnixNano: bigint
  readonly timeUnixNano: bigint
}

/** A counter's or gauge's value: `asInt` when `integer`, else `asDouble`. */
export interface NumberPoint extends PointBase {
  readonly value: number
  readonly integer: boolean
}

/** An explicit-bucket histogram: `bucketCounts` has one more entry than `bounds`. */
export interface HistogramPoint extends PointBase {
  readonly count: number
  readonly sum: number
  readonly min?: number
  readonly max?: number
  readonly bounds: ReadonlyArray<number>
  readonly bucketCounts: ReadonlyArray<number>
}

/**
 * A base-2 exponential histogram: with `base = 2^(2^-scale)`, positive bucket `offset + i` counts the
 * values in `(base^(offset+i), base^(offset+i+1)]`.
 */
export interface ExponentialHistogramPoint extends PointBase {
  readonly count: number
  readonly sum: number
  readonly min?: number
  readonly max?: number
  readonly scale: number
  readonly zeroCount: number
  readonly positive: { readonly offset: number; readonly bucketCounts: ReadonlyArray<number> }
}

/** A summary: count, sum and quantile values (Effect's `Metric.summary`). */
export interface SummaryPoint extends PointBase {
  readonly count: number
  readonly sum: number
  readonly quantiles: ReadonlyArray<{ readonly quantile: number; readonly value: number }>
}

/** A metric's points, by kind; sums and histograms have cumulative temporality. */
export type MetricData =
  | { readonly _tag: "Sum"; readonly monotonic: boolean; readonly points: ReadonlyArray<NumberPoint> }
  | { readonly _tag: "Gauge"; readonly points: ReadonlyArray<NumberPoint> }
  | { readonly _tag: "Histogram"; readonly points: ReadonlyArray<HistogramPoint> }
  | { readonly _tag: "ExponentialHistogram"; readonly points: ReadonlyArray<ExponentialHistogramPoint> }
  | { readonly _tag: "Summary"; readonly points: ReadonlyArray<SummaryPoint> }

/** One metric: its name, unit (UCUM, e.g. `ms`, `s`, `{token}`), description and points. */
export interface Metric {
  readonly name: string
  readonly description?: string
  readonly unit?: string
  readonly data: MetricData
}

/** The metrics one scope exports. */
export interface ScopeMetrics {
  readonly scope: Scope
  readonly metrics: ReadonlyArray<Metric>
}

/** OTLP's three signals, as the paths they are POSTed to. */
export type Signal = "logs" | "metrics" | "traces"

/** The two OTLP/HTTP encodings. */
export type Encoding = "json" | "protobuf"
