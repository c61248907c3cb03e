/**
 * The page lifecycle hand-over, the browser side of zero-loss delivery. A page can be closed, navigated
 * away from or discarded while hidden without warning, and no asynchronous flush survives that: on
 * `pagehide` and on `visibilitychange` to hidden, what is buffered is handed synchronously to
 * `navigator.sendBeacon` (or a `keepalive` fetch); what the browser refuses goes to the outbox.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import { utf8Bytes } from "../internal/json.js"
import type { Batch } from "../schemas/TelemetryEvent.js"
import { TelemetryCollector } from "../services/TelemetryCollector.js"

/** Settings of `layerPageLifecycle`. */
export interface PageLifecycleOptions {
  /** The endpoint beacons are sent to: the HTTP transport's URL, absolute or relative to the page. */
  readonly url: string
  /**
   * Body bytes one page hide may hand to the browser, all beacons together; default 64,000. Browsers
   * keep at most 64 KiB of beacon and `keepalive` bodies in flight per page and refuse the rest.
   */
  readonly maxBytes?: number
  /**
   * Also hand the buffer over when the page becomes hidden, not only on `pagehide`; default `true`.
   * A hidden page, on mobile especially, may be discarded later without any further event.
   */
  readonly onHidden?: boolean
}

/** Default of `PageLifecycleOptions.maxBytes`: under the 64 KiB browsers allow in flight. */
export const defaultBeaconBytes = 64_000

/** A synchronous delivery channel for `TelemetryCollector.flushSync`. */
type Channel = (batch: Batch) => boolean

/** A beacon body in the wire format of the HTTP transport, and how many of the batch's events it holds. */
interface BeaconBody {
  readonly batchId: string
  readonly text: string
  readonly bytes: number
  readonly events: number
}

const envelope = (batchId: string, sentAt: number) => `{"batchId":${JSON.stringify(batchId)},"sentAt":${sentAt},"events":[`

/**
 * The wire-format body `{ batchId, sentAt, events }` of the longest prefix of `batch` that fits in
 * `budget` bytes (no events when not even one fits). A prefix shorter than the batch gets its own batch
 * id, `<batchId>.0-<n>`, so a receiver deduplicating by batch id never mistakes it for the whole batch
 * re-sent later from the outbox.
 */
export const beaconBody = (batch: Batch, sentAt: number, budget: number): BeaconBody => {
  const events = batch.events.map((event) => JSON.stringify(event))
  const sizes = events.map(utf8Bytes)
  const body = (batchId: string, count: number): BeaconBody => {
    const text = `${envelope(batchId, sentAt)}${events.slice(0, count).join(",")}]}`
    return { batchId, text, bytes: utf8Bytes(text), events: count }
  }
  const wholeBytes = utf8Bytes(envelope(batch.batchId, sentAt)) + 2 + sizes.reduce((n, size) => n + size, 0) +
    Math.max(0, sizes.length - 1)
  if (wholeBytes <= budget) return body(batch.batchId, events.length)
  // Each prefix is measured under its own id (`.0-9` is shorter than `.0-10`); sizes only grow with the count.
  let count = 0
  let eventBytes = 0
  while (count < sizes.length) {
    const next = eventBytes + sizes[count]! + (count === 0 ? 0 : 1)
    if (utf8Bytes(envelope(`${batch.batchId}.0-${count + 1}`, sentAt)) + 2 + next > budget) break
    eventBytes = next
    count++
  }
  return count === 0 ? { batchId: batch.batchId, text: "", bytes: 0, events: 0 } : body(`${batch.batchId}.0-${count}`, count)
}

interface BeaconNavigator {
  sendBeacon?: (url: string, data?: BodyInit | null) => boolean
}

/**
 * One page hide's channel: each batch goes out as one beacon when it fits in what is left of `maxBytes`.
 * A batch that does not fit entirely is refused, so the collector keeps it whole in the outbox; the
 * prefix that fits is sent anyway, since a visitor who never returns would otherwise lose it all (its
 * events may then arrive twice, with the same ids).
 */
const beaconChannel = (url: string, maxBytes: number, sentAt: number, keepalive: KeepaliveBudget): Channel => {
  let budget = maxBytes
  return (batch) => {
    const nav = (globalThis as { readonly navigator?: BeaconNavigator }).navigator
    const hasBeacon = typeof nav?.sendBeacon === "function"
    const available = hasBeacon ? budget : Math.min(budget, maxBytes - keepalive.inFlight)
    const body = beaconBody(batch, sentAt, available)
    if (body.events === 0) return false
    const handed = hasBeacon
      ? nav.sendBeacon!(url, new Blob([body.text], { type: "application/json" }))
      : keepalivePost(url, body, keepalive)
    if (!handed) {
      budget = 0 // the browser's quota is spent: the rest of this page hide goes to the outbox
      return false
    }
    budget -= body.bytes
    return body.events === batch.events.length
  }
}

/** `keepalive` bodies this layer has in flight: the fetch fallback cannot be told synchronously that it is over quota. */
interface KeepaliveBudget {
  inFlight: number
}

const keepalivePost = (url: string, body: BeaconBody, keepalive: KeepaliveBudget): boolean => {
  if (typeof globalThis.fetch !== "function") return false
  keepalive.inFlight += body.bytes
  const settled = () => {
    keepalive.inFlight -= body.bytes
  }
  globalThis.fetch(url, {
    method: "POST",
    keepalive: true,
    headers: { "content-type": "application/json", "idempotency-key": body.batchId },
    body: body.text
  }).then(settled, settled)
  return true
}

/** A batch refused outright: the receiver is known to be down, so it goes to the outbox unsent. */
const refuse: Channel = () => false

interface PageTargets {
  readonly window: EventTarget
  readonly document: EventTarget & { readonly visibilityState: DocumentVisibilityState }
}

const pageTargets = (): PageTargets | undefined => {
  const g = globalThis as { readonly window?: EventTarget; readonly document?: PageTargets["document"] }
  return typeof g.window?.addEventListener === "function" && typeof g.document?.addEventListener === "function"
    ? { window: g.window, document: g.document }
    : undefined
}

/**
 * For the life of its scope, listens to `pagehide` and `visibilitychange` (to hidden) and hands
 * everything buffered to `navigator.sendBeacon` — or `fetch` with `keepalive` where there is no
 * `sendBeacon` — through `TelemetryCollector.flushSync`, synchronously inside the event. Batches the
 * browser refuses, and every batch while the collector knows the receiver is down, go to the outbox.
 * Outside a browser it installs nothing and says so.
 */
export const layerPageLifecycle = (options: PageLifecycleOptions): Layer.Layer<never, never, TelemetryCollector> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const collector = yield* TelemetryCollector
    // Event listeners are plain callbacks: they run the hand-over through the layer's runtime, and must
    // finish before returning, since the page may be gone right after.
    const runtime = yield* Effect.runtime<never>()
    const clock = yield* Effect.clock
    const page = pageTargets()
    if (page === undefined) {
      return yield* Effect.logWarning("telemetry page lifecycle: no window or document; nothing installed")
    }
    const maxBytes = options.maxBytes ?? defaultBeaconBytes
    const keepalive: KeepaliveBudget = { inFlight: 0 }

    const handOver = Effect.flatMap(collector.stats, (stats) =>
      collector.flushSync(
        stats.offline ? refuse : beaconChannel(options.url, maxBytes, clock.unsafeCurrentTimeMillis(), keepalive)
      ))

    const handOverNow = () => {
      const exit = Runtime.runSyncExit(runtime)(handOver)
      // Only when a store had to wait (another fiber held the outbox): the hand-over finishes on its own.
      if (Exit.isFailure(exit)) {
        Runtime.runFork(runtime)(
          Effect.logWarning("telemetry page hide: hand-over did not finish synchronously", Cause.pretty(exit.cause))
        )
      }
    }
    const onPageHide = () => handOverNow()
    const onVisibilityChange = () => {
      if (page.document.visibilityState === "hidden") handOverNow()
    }
    const onHidden = options.onHidden ?? true

    yield* Effect.acquireRelease(
      Effect.sync(() => {
        page.window.addEventListener("pagehide", onPageHide)
        if (onHidden) page.document.addEventListener("visibilitychange", onVisibilityChange)
      }),
      () =>
        Effect.sync(() => {
          page.window.removeEventListener("pagehide", onPageHide)
          page.document.removeEventListener("visibilitychange", onVisibilityChange)
        })
    )
  }))
