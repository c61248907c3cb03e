/**
 * Capturing: a thrown value, a `Cause` or a message is described, its errors to report chosen (most
 * severe first), redacted, fingerprinted, grouped, then sent unless ignored, suppressed as a duplicate or
 * dropped by `beforeSend`. A capture never fails and is never half done.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Tracer from "effect/Tracer"
import type { YieldWrap } from "effect/Utils"
import type { CaptureResult, CauseReason, ErrorSample, LeafCaptureResult, Severity } from "../../schemas/ErrorEvents.js"
import type { JsonObject } from "../../schemas/TelemetryEvent.js"
import type { EventSink } from "../EventSink.js"
import type { Redactor } from "../Redactor.js"
import type { Breadcrumbs } from "./Breadcrumbs.js"
import { isSeverity } from "./Breadcrumbs.js"
import { bounded, maxLabelLength, maxUserIdLength } from "./Bounds.js"
import { boundTags, type Candidate, capturedData, type Prepared, type Shared } from "./CapturedEvent.js"
import { type CapturedRedaction, makeCapturedRedaction } from "./CapturedRedaction.js"
import { classify, classifyMessage, priority } from "./Classification.js"
import { describeError, type ErrorDescription, type LeafDescription } from "./ErrorDescription.js"
import { maxMessageLength, toJsonObject } from "./ErrorValues.js"
import * as ErrorGroups from "./ErrorGroups.js"
import { fingerprint as computeFingerprint, givenFingerprint } from "./Fingerprint.js"
import type { DuplicateWindows } from "./DuplicateWindows.js"
import { type Config, runHook } from "./Options.js"
import type { Outcomes } from "./Outcomes.js"
import type { CaptureOptions, ErrorTrackingService, MessageOptions } from "./Service.js"

/** The type of every `captureMessage` event. */
const messageType = "Message"

/** What capturing works with: the service's options, its parts and its state. */
export interface CaptureDeps {
  readonly config: Config
  readonly sink: EventSink["Type"]
  readonly redactor: Redactor["Type"]
  readonly outcomes: Outcomes
  readonly state: Ref.Ref<ErrorGroups.ErrorGroupsState>
  readonly breadcrumbs: Breadcrumbs
  readonly windows: DuplicateWindows
}

const bits28 = 2 ** 28

/**
 * 13 hex digits (52 bits) of one `Random.nextInt` draw (53 bits with the default generator), as two small
 * integers: a double's own `toString(16)` measured ~3 µs.
 */
const hex52 = (n: number): string => {
  const draw = Math.abs(Math.trunc(n))
  const high = Math.floor(draw / bits28) % 0x1000000
  const low = draw % bits28
  return high.toString(16).padStart(6, "0") + low.toString(16).padStart(7, "0")
}

/**
 * A UUID v4 drawn from the capturing fiber's `Random`, so tests can fix it: three 52-bit draws (122 bits
 * are needed), each a fiber step (eight 16-bit ones measured ~5 µs of a capture).
 */
const randomUuid = function*(random: Random.Random) {
  const hex = hex52(yield* random.nextInt) + hex52(yield* random.nextInt) + hex52(yield* random.nextInt)
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * The errors of a description to report, most severe first: a thrown value itself; for a `Cause`, each
 * failure and defect (its interruptions only when it has nothing else, and then the first).
 */
export const candidatesOf = (d: ErrorDescription): ReadonlyArray<Candidate> => {
  if (d.leaves.length === 1) {
    const leaf = d.leaves[0]!
    return [{ index: 0, leaf, classification: classify(leaf.error, leaf.kind) }]
  }
  const failures: Array<Candidate> = []
  d.leaves.forEach((leaf, index) => {
    if (leaf.kind !== "interrupt") failures.push({ index, leaf, classification: classify(leaf.error, leaf.kind) })
  })
  if (failures.length === 0) return [{ index: 0, leaf: d.leaves[0]!, classification: classify(d.leaves[0]!.error, "interrupt") }]
  // A stable sort: among equals, the earlier error stays the primary, as in `describeError`.
  return failures.sort((a, b) => priority(b.classification, b.leaf.kind) - priority(a.classification, a.leaf.kind))
}

// Matched against the text as thrown: patterns are written against what the program throws.
const isIgnored = (config: Config, d: LeafDescription): boolean =>
  config.ignore.some((p) =>
    typeof p === "string" ? d.message.includes(p) || d.type === p : p.test(d.message) || p.test(d.type)
  )

/**
 * Groups one error, then sends it unless it is a duplicate; answers with what happened to it. A
 * generator that `captureDescribed` delegates to, not an `Effect.gen` of its own: on the capture hot
 * path the extra fiber step measured about 10% of a capture.
 */
const report = function*(
  deps: CaptureDeps,
  redaction: CapturedRedaction,
  p: Prepared,
  errorId: string,
  reasons: ReadonlyArray<CauseReason>,
  omitted: number,
  o: CaptureOptions,
  shared: Shared
): Generator<YieldWrap<Effect.Effect<unknown>>, LeafCaptureResult> {
  const { tally } = deps.outcomes
  const { fingerprint, leaf, message, type } = p
  const severity = o.severity ?? p.classification.severity
  const category = o.category ?? p.classification.category
  const handled = o.handled ?? leaf.kind !== "die"
  const sample: { -readonly [K in keyof ErrorSample]: ErrorSample[K] } = {
    errorId,
    fingerprint,
    type,
    message,
    severity,
    category,
    kind: leaf.kind,
    handled,
    mechanism: shared.mechanism,
    timestamp: shared.now,
    breadcrumbs: shared.breadcrumbs.length
  }
  if (shared.userId !== undefined) sample.userId = shared.userId
  if (shared.causeId !== undefined) sample.causeId = shared.causeId
  // The group keeps the latest occurrence's in-app frames for the dashboard, paths redacted as the event's are.
  const frames = redaction.groupFrames(leaf.frames)
  yield* Ref.update(deps.state, (s) => ErrorGroups.recordOccurrenceWithFrames(s, sample, frames))
  // Asked only when windows are on: each `yield*` is a fiber step of the capture.
  if (deps.config.duplicateWindowMillis > 0 && (yield* deps.windows.isDuplicate(fingerprint, shared.now, type, message))) {
    yield* tally("suppressed")
    return { errorId, fingerprint, outcome: "suppressed" }
  }
  const facts = {
    errorId,
    severity,
    category,
    handled,
    reasons,
    omitted,
    severityGiven: o.severity !== undefined,
    categoryGiven: o.category !== undefined
  }
  // Redacted here once, and so marked, when no `beforeSend` may put raw text back; else by the collector.
  const data = (deps.config.beforeSend === undefined ? redaction.redactedData(p, facts, shared) : undefined) ??
    capturedData(p, facts, shared, deps.redactor.redactString)
  const edited = deps.config.beforeSend === undefined
    ? Option.some(data)
    : yield* runHook("beforeSend", deps.config.beforeSend, data)
  if (Option.isNone(edited)) {
    yield* tally("dropped")
    return { errorId, fingerprint, outcome: "dropped" }
  }
  const delivery = yield* inSpanOf(o, deps.outcomes.send("error.captured", edited.value as unknown as JsonObject, shared))
  yield* tally(delivery.outcome)
  return delivery.outcome === "sent"
    ? { errorId, fingerprint, outcome: "sent" }
    : { errorId, fingerprint, outcome: delivery.outcome, reason: delivery.reason }
}

/**
 * Runs `send` with the span the options name as current, so the collector correlates the event with it the
 * way it does any event tracked inside a span (it leaves out ids of another shape).
 */
const inSpanOf = <A>(o: CaptureOptions, send: Effect.Effect<A>): Effect.Effect<A> =>
  typeof o.traceId === "string" && typeof o.spanId === "string"
    ? Effect.withParentSpan(send, Tracer.externalSpan({ traceId: o.traceId, spanId: o.spanId }))
    : send

/** The candidates not ignored, redacted and fingerprinted: one entry per leaf of the description, and the distinct ones. */
const prepare = function*(
  deps: CaptureDeps,
  redaction: CapturedRedaction,
  candidates: ReadonlyArray<Candidate>,
  override: string | undefined
) {
  // Redacted before anything is fingerprinted, grouped or stored.
  const byLeaf: Array<Prepared | undefined> = []
  const distinct: Array<Prepared> = []
  for (const candidate of candidates) {
    if (isIgnored(deps.config, candidate.leaf)) {
      yield* deps.outcomes.tally("ignored")
      continue
    }
    const type = redaction.text(candidate.leaf.type)
    const message = redaction.text(candidate.leaf.message)
    const fingerprint = override ?? computeFingerprint({ type, message, frames: candidate.leaf.frames })
    const prepared: Prepared = {
      index: candidate.index,
      leaf: candidate.leaf,
      classification: candidate.classification,
      type,
      message,
      fingerprint
    }
    byLeaf[candidate.index] = prepared
    // The same error twice in one Cause is one event, listing both leaves.
    if (!distinct.some((p) => p.fingerprint === fingerprint)) distinct.push(prepared)
  }
  return { byLeaf, distinct }
}

/** What every event of one capture shares, once its error ids are drawn. */
const shareOf = function*(
  deps: CaptureDeps,
  now: number,
  d: ErrorDescription,
  o: CaptureOptions,
  defaultMechanism: string,
  causeId: string | undefined
) {
  const { redactor } = deps
  // Pseudonymised here (the collector would do it to the event) so the kept samples hold no PII-shaped id.
  const givenUserId = typeof o.userId === "string" && o.userId.length > 0
    ? redactor.pseudonymize(bounded(o.userId, maxUserIdLength))
    : undefined
  const shared: Shared = {
    now,
    userId: givenUserId ?? (yield* deps.sink.currentSession).userId,
    tags: o.tags === undefined ? undefined : boundTags(o.tags),
    mechanism: o.mechanism === undefined ? defaultMechanism : bounded(String(o.mechanism), maxLabelLength),
    context: o.context === undefined ? {} : redactor.redact(toJsonObject(o.context)),
    breadcrumbs: yield* deps.breadcrumbs.all,
    composition: d.composition,
    causeId
  }
  return shared
}

/** The capture calls of one ErrorTracking service. */
export const makeCapture = (
  deps: CaptureDeps
): Pick<ErrorTrackingService, "captureError" | "captureMessage" | "captureErrors"> => {
  const { outcomes, redactor } = deps
  const redaction = makeCapturedRedaction(redactor)

  /**
   * Reports the candidates of a description: redacted, fingerprinted, grouped, then sent unless suppressed.
   * The capturing fiber's `Clock` and `Random` are read from its services (`Clock.currentTimeMillis` and
   * `Random.nextInt` would each cost a fiber step more).
   */
  const captureDescribed = (
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    d: ErrorDescription,
    candidates: ReadonlyArray<Candidate>,
    o: CaptureOptions,
    defaultMechanism: string
  ): Effect.Effect<CaptureResult> =>
    Effect.gen(function*() {
      const services = fiber.currentDefaultServices
      const override = o.fingerprint === undefined ? undefined : givenFingerprint(String(o.fingerprint), redactor.redactString)
      const { byLeaf, distinct } = yield* prepare(deps, redaction, candidates, override)
      if (distinct.length === 0) return { errorId: "", fingerprint: "", outcome: "ignored" }
      const errorIds: Array<string> = []
      const random = Context.get(services, Random.Random)
      for (let i = 0; i < distinct.length; i++) errorIds.push(yield* randomUuid(random))
      const now = Context.get(services, Clock.Clock).unsafeCurrentTimeMillis()
      const shared = yield* shareOf(deps, now, d, o, defaultMechanism, distinct.length > 1 ? errorIds[0] : undefined)
      const reasonOfLeaf = (leaf: LeafDescription, index: number): CauseReason => {
        const p = byLeaf[index]
        return p === undefined
          ? { kind: leaf.kind, type: redactor.redactString(leaf.type), message: redactor.redactString(leaf.message) }
          : { kind: leaf.kind, type: p.type, message: p.message, fingerprint: p.fingerprint }
      }
      const results: Array<LeafCaptureResult> = []
      for (let i = 0; i < distinct.length; i++) {
        const p = distinct[i]!
        // The primary event lists every leaf; a linked one its own, and `causeId` points to the primary.
        const reasons = i === 0 ? d.leaves.map(reasonOfLeaf) : [reasonOfLeaf(p.leaf, p.index)]
        results.push(yield* report(deps, redaction, p, errorIds[i]!, reasons, i === 0 ? d.omitted : 0, o, shared))
      }
      return results.length === 1 ? results[0]! : { ...results[0]!, linked: results.slice(1) }
    })

  /** A capture as callers see it: never fails, never half done. */
  const guarded = (capture: Effect.Effect<CaptureResult>): Effect.Effect<CaptureResult> =>
    capture.pipe(
      // Short, and all-or-nothing: a caller interrupted mid-capture must not leave half-updated state.
      Effect.uninterruptible,
      Effect.catchAllCause((cause) =>
        outcomes.tally("failed").pipe(
          Effect.zipRight(Effect.logWarning("ErrorTracking failed to capture an error", cause)),
          Effect.as<CaptureResult>({
            errorId: "",
            fingerprint: "",
            outcome: "failed",
            reason: outcomes.reasonOf(Cause.squash(cause))
          })
        )
      )
    )

  const captureError = (input: unknown, o: CaptureOptions = {}): Effect.Effect<CaptureResult> =>
    guarded(Effect.withFiberRuntime((fiber) => {
      const d = describeError(input)
      return captureDescribed(fiber, d, candidatesOf(d), o, "captureError")
    }))

  const captureMessage = (message: string, severity?: Severity, o: MessageOptions = {}): Effect.Effect<CaptureResult> =>
    guarded(Effect.withFiberRuntime((fiber) => {
      const text = bounded(typeof message === "string" ? message : String(message), maxMessageLength)
      const leaf: LeafDescription = { type: messageType, message: text, kind: "message", frames: [], causeChain: [], error: text }
      const d: ErrorDescription = { ...leaf, composition: "single", leaves: [leaf], omitted: 0 }
      const classification = classifyMessage(text, isSeverity(severity) ? severity : "INFO")
      // `handled` is not an option of a message: nothing was thrown, so it is always true.
      const { handled: _handled, severity: _severity, ...options } = o as CaptureOptions
      return captureDescribed(fiber, d, [{ index: 0, leaf, classification }], options, "captureMessage")
    }))

  const captureErrors = <A, E, R>(self: Effect.Effect<A, E, R>, o: CaptureOptions = {}): Effect.Effect<A, E, R> =>
    Effect.tapErrorCause(self, (cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.void : captureError(cause, { mechanism: "captureErrors", ...o }))

  return { captureError, captureMessage, captureErrors }
}
