/**
 * The synchronous half of the tracer bridge: a `Tracer` wrapping another, whose spans wrap the inner
 * tracer's and hand themselves to `onEnd` when they end. The inner tracer only ever sees its own spans (as
 * parents, links and the fiber's current span), so `@effect/opentelemetry` keeps recording real OTel spans.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/** An event added to a span, kept for export. */
export interface SpanEventEntry {
  readonly name: string
  readonly timeUnixNano: bigint
  readonly attributes: Readonly<Record<string, unknown>> | undefined
}

/** A span of the inner tracer, seen by the bridge when it ends. */
export class BridgeSpan implements Tracer.Span {
  readonly _tag = "Span"
  /** Allocated on the first event only: most spans have none. */
  events: Array<SpanEventEntry> | undefined = undefined

  // Four fields, the rest read through: one is allocated per span, a measured hot path (bench/tracer-bridge.ts).
  constructor(
    readonly inner: Tracer.Span,
    readonly parent: Option.Option<Tracer.AnySpan>,
    private readonly onEnd: (span: BridgeSpan) => void
  ) {}

  get name(): string {
    return this.inner.name
  }
  get spanId(): string {
    return this.inner.spanId
  }
  get traceId(): string {
    return this.inner.traceId
  }
  get context(): Context.Context<never> {
    return this.inner.context
  }
  get sampled(): boolean {
    return this.inner.sampled
  }
  get kind(): Tracer.SpanKind {
    return this.inner.kind
  }
  get status(): Tracer.SpanStatus {
    return this.inner.status
  }
  get attributes(): ReadonlyMap<string, unknown> {
    return this.inner.attributes
  }
  get links(): ReadonlyArray<Tracer.SpanLink> {
    return this.inner.links
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.inner.end(endTime, exit)
    this.onEnd(this)
  }
  attribute(key: string, value: unknown): void {
    this.inner.attribute(key, value)
  }
  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    this.inner.event(name, startTime, attributes)
    ;(this.events ??= []).push({ name, timeUnixNano: startTime, attributes })
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.inner.addLinks(innerLinks(links))
  }
}

/** The inner tracer's own span for any span the bridge made. */
export const innerSpan = (span: Tracer.AnySpan): Tracer.AnySpan => span instanceof BridgeSpan ? span.inner : span

const innerLinks = (links: ReadonlyArray<Tracer.SpanLink>): ReadonlyArray<Tracer.SpanLink> =>
  links.length === 0 || !links.some((link) => link.span instanceof BridgeSpan)
    ? links
    : links.map((link) => link.span instanceof BridgeSpan ? { ...link, span: link.span.inner } : link)

/** Effect's own tracer, whose `context` only runs `f`: wrapping it needs no span swap. */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** A tracer whose spans are `inner`'s, each handed to `onEnd` right after it ends. */
export const wrap = (inner: Tracer.Tracer, onEnd: (span: BridgeSpan) => void): Tracer.Tracer =>
  Tracer.make({
    span(name, parent, context, links, startTime, kind, options) {
      const innerParent = Option.isSome(parent) && parent.value instanceof BridgeSpan
        ? Option.some(parent.value.inner)
        : parent
      const span = inner.span(name, innerParent, context, innerLinks(links), startTime, kind, options)
      return new BridgeSpan(span, parent, onEnd)
    },
    // `context` runs around every step of every fiber: over Effect's tracer it is Effect's own function, so
    // the run loop's call site stays as it is without the bridge.
    context: inner === nativeTracer ? inner.context : (f, fiber) => {
      const current = fiber.currentSpan
      if (!(current instanceof BridgeSpan)) return inner.context(f, fiber)
      // The inner tracer reads `fiber.currentSpan` before it runs `f` (OpenTelemetry makes it the active
      // span): it must find its own span there, and the fiber ours again once `f` runs. Once `f` has started,
      // the run loop owns the field (a new span may become current), so it is restored only if `f` never ran.
      const writable = fiber as { currentSpan: Tracer.AnySpan | undefined }
      let entered = false
      writable.currentSpan = current.inner
      try {
        return inner.context(() => {
          entered = true
          writable.currentSpan = current
          return f()
        }, fiber)
      } finally {
        if (!entered) writable.currentSpan = current
      }
    }
  })
