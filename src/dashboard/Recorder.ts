/**
 * The live dashboard's memory: a bounded ring of history points, sampled from the services on a `Schedule`
 * by a fiber in the layer's scope, and the snapshot the page polls (the services now plus that ring). Each
 * point's percentiles are those of the samples recorded since the previous point (`IntervalPercentiles`).
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as IntervalPercentiles from "./IntervalPercentiles.js"
import * as Snapshot from "./Snapshot.js"

/** How the recorder samples; the defaults are in `defaults`. */
export interface Options {
  /** Time between two history points. Default 1 second. */
  readonly sampleInterval?: Duration.DurationInput
  /** History points kept, oldest dropped first. Default 300 (5 minutes at one a second). */
  readonly historySize?: number
  /** The page's title. Default `effect-telemetry`. */
  readonly title?: string
}

/** The value of every option when none is given. */
export const defaults = { sampleInterval: Duration.seconds(1), historySize: 300, title: "effect-telemetry" } as const

/** The services' aggregates now, with the history sampled so far. */
export class Recorder extends Context.Tag("effect-telemetry/Dashboard/Recorder")<Recorder, {
  /** The snapshot the page shows: O(metrics + groups + history), never O(events). */
  readonly snapshot: Effect.Effect<Snapshot.Snapshot>
  /**
   * The snapshot with only the history points sampled after `since` (epoch ms), and `historyStart`, the time
   * of the oldest point held: what a page that already holds the earlier points needs (the live page polls it).
   */
  readonly snapshotSince: (since: number) => Effect.Effect<Snapshot.Snapshot>
  /**
   * Samples one history point now (the layer does it every `sampleInterval`): its percentiles cover the
   * samples recorded since the previous point.
   */
  readonly sample: Effect.Effect<void>
}>() {}

/** Builds the recorder over the services in context; its sampling fiber lives in the scope. */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Snapshot.Services>()
    const historySize = Math.max(1, Math.floor(options.historySize ?? defaults.historySize))
    const interval = Duration.decode(options.sampleInterval ?? defaults.sampleInterval)
    const current = Snapshot.read(options.title ?? defaults.title).pipe(Effect.provide(context))
    const history = yield* Ref.make<ReadonlyArray<Snapshot.HistorySample>>([])
    const intervals = IntervalPercentiles.make()
    // One sample at a time: the differ holds the previous tick's buckets, and a point must follow its interval.
    const lock = yield* Effect.makeSemaphore(1)
    const sample = lock.withPermits(1)(Effect.gen(function*() {
      const now = yield* current
      const tick = yield* Snapshot.intervalsSince(intervals, now).pipe(Effect.provide(context))
      yield* Ref.update(history, (points) => {
        const next = Snapshot.sampleOf(now, points[points.length - 1], tick)
        return points.length < historySize ? [...points, next] : [...points.slice(points.length - historySize + 1), next]
      })
    }))
    // `repeat` samples once at once, so the first poll already has a point to draw.
    yield* Effect.forkScoped(Effect.repeat(sample, Schedule.spaced(interval)))
    return Recorder.of({
      sample,
      snapshot: Effect.zipWith(current, Ref.get(history), (now, points) => ({ ...now, history: points })),
      snapshotSince: (since) =>
        Effect.zipWith(current, Ref.get(history), (now, points) => ({
          ...now,
          history: pointsAfter(points, since),
          ...(points.length === 0 ? {} : { historyStart: points[0]!.t })
        }))
    })
  })

/** The points sampled after `since`: a suffix of the ring, found from its end (a polling page asks for few). */
const pointsAfter = (points: ReadonlyArray<Snapshot.HistorySample>, since: number): ReadonlyArray<Snapshot.HistorySample> => {
  let from = points.length
  while (from > 0 && points[from - 1]!.t > since) from--
  return points.slice(from)
}

/** The recorder as a layer over the services; closing it stops the sampling fiber. */
export const layer = (options: Options = {}): Layer.Layer<Recorder, never, Snapshot.Services> =>
  Layer.scoped(Recorder, make(options))
