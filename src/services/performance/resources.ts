/**
 * Reading what the runtime says about its resources, on Node and in browsers, without assuming either:
 * every global is looked up guardedly, so this module loads anywhere, and a value the runtime cannot
 * tell is left out of the snapshot rather than reported as zero.
 */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type { ConnectionInfo, EventLoopUsage, MemoryUsage, ResourceSnapshot } from "./ResourceSnapshot.js"

/** Node's event-loop delay histogram (`perf_hooks.monitorEventLoopDelay`), as far as we use it. */
export interface EventLoopDelayHistogram {
  readonly enable: () => boolean
  readonly disable: () => boolean
  readonly reset: () => void
  readonly mean: number
  readonly max: number
  readonly count?: number
  readonly percentile: (percentile: number) => number
}

/** Node's `performance.eventLoopUtilization` result. */
export interface EventLoopUtilization {
  readonly idle: number
  readonly active: number
  readonly utilization: number
}

/**
 * Where resource figures come from. Each source is optional; `globalResourceSources()` finds the ones
 * this runtime has, and tests pass their own.
 */
export interface ResourceSources {
  /** Node's `process.memoryUsage()`. */
  readonly memoryUsage?: () => {
    readonly heapUsed: number
    readonly heapTotal: number
    readonly rss: number
    readonly external: number
    readonly arrayBuffers: number
  }
  /** Chromium's non-standard `performance.memory`. */
  readonly browserMemory?: () => {
    readonly usedJSHeapSize?: number
    readonly totalJSHeapSize?: number
    readonly jsHeapSizeLimit?: number
  } | undefined
  /** The browser's `navigator.connection` (Network Information API). */
  readonly connection?: () => {
    readonly effectiveType?: string
    readonly downlink?: number
    readonly rtt?: number
    readonly saveData?: boolean
  } | undefined
  /** Node's `performance.eventLoopUtilization`. */
  readonly eventLoopUtilization?: (
    current?: EventLoopUtilization,
    previous?: EventLoopUtilization
  ) => EventLoopUtilization
  /** Node's `perf_hooks.monitorEventLoopDelay`. */
  readonly monitorEventLoopDelay?: (options: { readonly resolution: number }) => EventLoopDelayHistogram
}

type Loose = Record<string, unknown> | undefined

const property = (target: unknown, key: string): unknown =>
  typeof target === "object" && target !== null ? (target as Record<string, unknown>)[key] : undefined

/** The resource sources of the running JavaScript runtime (Node, a browser, or neither). */
export const globalResourceSources = (): ResourceSources => {
  const g = globalThis as unknown as Loose
  const proc = property(g, "process") as Loose
  const perf = property(g, "performance") as Loose
  const nav = property(g, "navigator") as Loose
  const sources: {
    -readonly [K in keyof ResourceSources]: ResourceSources[K]
  } = {}
  const memoryUsage = property(proc, "memoryUsage")
  if (typeof memoryUsage === "function") sources.memoryUsage = () => memoryUsage.call(proc)
  if (property(perf, "memory") !== undefined) {
    sources.browserMemory = () => property(perf, "memory") as ReturnType<NonNullable<ResourceSources["browserMemory"]>>
  }
  if (property(nav, "connection") !== undefined) {
    sources.connection = () => property(nav, "connection") as ReturnType<NonNullable<ResourceSources["connection"]>>
  }
  const elu = property(perf, "eventLoopUtilization")
  if (typeof elu === "function") sources.eventLoopUtilization = (a, b) => elu.call(perf, a, b)
  // `process.getBuiltinModule` (Node ≥ 20.16) reaches perf_hooks without an import a browser bundle would trip on.
  const getBuiltinModule = property(proc, "getBuiltinModule")
  if (typeof getBuiltinModule === "function") {
    const perfHooks = getBuiltinModule.call(proc, "perf_hooks") as Loose
    const monitor = property(perfHooks, "monitorEventLoopDelay")
    if (typeof monitor === "function") {
      sources.monitorEventLoopDelay = (options) => monitor.call(perfHooks, options) as EventLoopDelayHistogram
    }
  }
  return sources
}

const finite = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)

/** Copies the defined entries of `fields`; `undefined` when none is. */
const present = <A extends object>(fields: { readonly [K in keyof A]: A[K] | undefined }): A | undefined => {
  const out: Record<string, unknown> = {}
  let any = false
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) {
      out[key] = value
      any = true
    }
  }
  return any ? (out as A) : undefined
}

const nanosToMillis = (nanos: number): number | undefined => {
  const n = finite(nanos)
  return n === undefined ? undefined : n / 1e6
}

/**
 * A probe that reads a snapshot on demand. On Node it keeps an event-loop delay histogram enabled for
 * the life of the scope, reporting (and resetting) it at each snapshot; utilization is measured between
 * snapshots too.
 */
export const makeResourceProbe = (
  sources: ResourceSources
): Effect.Effect<Effect.Effect<ResourceSnapshot>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const histogram = sources.monitorEventLoopDelay === undefined
      ? undefined
      : yield* Effect.acquireRelease(
        Effect.sync(() => {
          try {
            const h = sources.monitorEventLoopDelay!({ resolution: 20 })
            h.enable()
            return h
          } catch {
            return undefined
          }
        }),
        (h) => Effect.sync(() => h?.disable())
      )
    // The utilization reading of the previous snapshot, which the next one is measured from.
    const previous = yield* Ref.make(readSafely(() => sources.eventLoopUtilization?.()))

    return Ref.modify(previous, (before): [ResourceSnapshot, EventLoopUtilization | undefined] => {
      const node = readSafely(() => sources.memoryUsage?.())
      const browser = readSafely(() => sources.browserMemory?.())
      const memory = present<MemoryUsage>({
        heapUsed: finite(node?.heapUsed) ?? finite(browser?.usedJSHeapSize),
        heapTotal: finite(node?.heapTotal) ?? finite(browser?.totalJSHeapSize),
        heapLimit: finite(browser?.jsHeapSizeLimit),
        rss: finite(node?.rss),
        external: finite(node?.external),
        arrayBuffers: finite(node?.arrayBuffers)
      })

      let utilization: number | undefined
      let next = before
      const current = readSafely(() => sources.eventLoopUtilization?.())
      if (current !== undefined && sources.eventLoopUtilization !== undefined) {
        utilization = finite(
          before === undefined
            ? current.utilization
            : readSafely(() => sources.eventLoopUtilization!(current, before))?.utilization
        )
        next = current
      }
      let delay: Omit<EventLoopUsage, "utilization"> = {}
      if (histogram !== undefined && (histogram.count === undefined || histogram.count > 0)) {
        delay = present<Omit<EventLoopUsage, "utilization">>({
          delayMeanMs: nanosToMillis(histogram.mean),
          delayP50Ms: nanosToMillis(histogram.percentile(50)),
          delayP99Ms: nanosToMillis(histogram.percentile(99)),
          delayMaxMs: nanosToMillis(histogram.max)
        }) ?? {}
        histogram.reset()
      }
      const eventLoop = present<EventLoopUsage>({ ...delay, utilization })

      const link = readSafely(() => sources.connection?.())
      const connection = present<ConnectionInfo>({
        effectiveType: typeof link?.effectiveType === "string" ? link.effectiveType : undefined,
        downlinkMbps: finite(link?.downlink),
        rttMs: finite(link?.rtt),
        saveData: typeof link?.saveData === "boolean" ? link.saveData : undefined
      })

      return [present<ResourceSnapshot>({ memory, eventLoop, connection }) ?? {}, next]
    })
  })

/** A runtime API that throws (a detached document, a sandbox) reports nothing rather than failing. */
const readSafely = <A>(read: () => A): A | undefined => {
  try {
    return read()
  } catch {
    return undefined
  }
}
