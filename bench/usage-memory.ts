/**
 * `npx tsx bench/usage-memory.ts [--precision 13] [--users 1000000] [--seeds 10]`: the heap `UsageAnalytics` holds for
 * 1,000,000 distinct users across 20 features, and the error of its adoption rates against the exact
 * ones, in two shapes of traffic:
 *
 * - `one day`:  every user active on the same day (one time bucket);
 * - `30 days`:  each user active on one random day of the retention period (30 buckets: the worst case
 *               for memory, since every bucket holds its own counters).
 *
 * Feature k (k = 0…19) is used by each user with probability 2 % + 48 %·k/19; the exact adoption of a
 * feature is (users of it) / (users of any feature). Heap is `heapUsed + arrayBuffers` after a full GC,
 * with the service alive, minus the same before it was built. Last, the worst feature's adoption error
 * over `--seeds` other user populations, computed on the counters directly.
 */
import { mulberry32 } from "../src/internal/mulberry32.js"
import { heap } from "./heap.js"
import { Clock, Context, Duration, Effect, Exit, Layer, Scope } from "effect"
import { defaultPrecision, DistinctCounter, hashString, standardError } from "../src/internal/DistinctCounter.js"
import { EventSink } from "../src/services/EventSink.js"
import * as UsageAnalytics from "../src/services/UsageAnalytics.js"

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 && process.argv[at + 1] !== undefined ? Number(process.argv[at + 1]) : fallback
}
const population = argument("users", 1_000_000)
const precision = argument("precision", defaultPrecision)
const features = 20
const rates = Array.from({ length: features }, (_, k) => 0.02 + (0.48 * k) / (features - 1))
const day = 86_400_000

/** Keeps the exact answers reachable until the end, so the GC never frees them between two readings. */
const truth: Array<unknown> = []

const seeded = mulberry32

/** A clock the bench moves by hand. */
class ManualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  now = 0
  unsafeCurrentTimeMillis() {
    return this.now
  }
  unsafeCurrentTimeNanos() {
    return BigInt(this.now) * 1_000_000n
  }
  get currentTimeMillis() {
    return Effect.sync(() => this.now)
  }
  get currentTimeNanos() {
    return Effect.sync(() => this.unsafeCurrentTimeNanos())
  }
  sleep(_: Duration.Duration) {
    return Effect.never
  }
}

/** An event sink that takes events and does nothing: only UsageAnalytics' own memory is measured. */
const nullSink = Layer.succeed(EventSink, {
  track: () => Effect.void,
  currentSession: Effect.succeed({ id: "bench", startedAt: 0 })
})

/** One scenario; the service reads the clock of the fiber that calls it, which the bench moves. */
const run = (label: string, days: number, clock: ManualClock, users = population) =>
  Effect.gen(function*() {
    const random = seeded(42)
    // The truth, kept outside the measured heap (allocated before the baseline).
    const exactUsers = new Int32Array(features)
    let exactAll = 0
    const choices = new Uint8Array(users * features)
    const dayOf = new Uint8Array(users)
    for (let u = 0; u < users; u++) {
      let any = false
      for (let k = 0; k < features; k++) {
        if (random() < rates[k]!) {
          choices[u * features + k] = 1
          exactUsers[k]!++
          any = true
        }
      }
      if (any) exactAll++
      dayOf[u] = Math.floor(random() * days)
    }
    const order = Array.from({ length: users }, (_, u) => u).sort((a, b) => dayOf[a]! - dayOf[b]!)
    const names = Array.from({ length: features }, (_, k) => `feature-${String(k).padStart(2, "0")}`)

    const before = heap()
    const scope = yield* Scope.make()
    let usage: UsageAnalytics.UsageAnalytics["Type"] | undefined = Context.get(
      yield* Layer.buildWithScope(
        UsageAnalytics.layer({ precision, cleanupInterval: "1000 days", retention: `${days + 1} days` }).pipe(
          Layer.provide(nullSink),
          Layer.orDie
        ),
        scope
      ),
      UsageAnalytics.UsageAnalytics
    )
    let calls = 0
    const started = process.hrtime.bigint()
    for (const u of order) {
      clock.now = dayOf[u]! * day + 1
      const userId = `user-${u}`
      for (let k = 0; k < features; k++) {
        if (choices[u * features + k] === 1) {
          yield* usage!.trackFeature(names[k]!, "used", userId)
          calls++
        }
      }
    }
    const nanosPerCall = Number(process.hrtime.bigint() - started) / calls
    clock.now = (days - 1) * day + 2
    const summary = yield* usage.getSummary
    // What the service holds: the heap with it alive (the truth arrays are pinned in `truth`, so they
    // are in both figures), minus the heap before it was built.
    const held = heap() - before
    usage = undefined
    yield* Scope.close(scope, Exit.void)
    truth.push(choices, dayOf, order)

    let maxRelative = 0
    let maxAbsolute = 0
    for (let k = 0; k < features; k++) {
      const stats = summary.features.find((f) => f.feature === names[k])!
      const exactRate = exactUsers[k]! / exactAll
      maxRelative = Math.max(maxRelative, Math.abs(stats.adoptionRate / exactRate - 1))
      maxAbsolute = Math.max(maxAbsolute, Math.abs(stats.adoptionRate - exactRate))
    }
    const usersError = Math.abs(summary.totalUsers / exactAll - 1)
    if (label === "") return
    console.log(
      [
        `${label}: ${users.toLocaleString("en")} users (${exactAll.toLocaleString("en")} seen), ${features} features,`,
        `  ${calls.toLocaleString("en")} trackFeature calls, ${nanosPerCall.toFixed(0)} ns each`,
        `  heap held: ${(held / 1_048_576).toFixed(2)} MiB (self-reported ${
          (summary.storage.approximateBytes / 1_048_576).toFixed(2)
        } MiB in ${summary.storage.buckets} buckets)`,
        `  all-users count error: ${(usersError * 100).toFixed(2)} %`,
        `  adoption rate error, worst of ${features} features: ${(maxRelative * 100).toFixed(2)} % relative, ${
          (maxAbsolute * 100).toFixed(2)
        } percentage points absolute`
      ].join("\n")
    )
  }).pipe(Effect.withClock(clock))

console.log(
  `UsageAnalytics memory bench — precision ${precision} (HyperLogLog standard error ${
    (standardError(precision) * 100).toFixed(2)
  } %), target ≤ 5 MB and ≤ 2 % adoption-rate error\n`
)
/**
 * The same adoption estimate over other random user populations, straight on the counters (what the
 * service does, without the service): how the worst feature's error varies from seed to seed.
 */
const errorAcrossSeeds = (seeds: number, users = population) => {
  const worst: Array<number> = []
  const worstPoints: Array<number> = []
  let sumRelative = 0
  for (let seed = 1; seed <= seeds; seed++) {
    const random = seeded(1_000 + seed)
    const counters = rates.map(() => new DistinctCounter({ precision }))
    const everyone = new DistinctCounter({ precision })
    const exact = new Int32Array(features)
    let exactAll = 0
    for (let u = 0; u < users; u++) {
      const hash = hashString(`s${seed}-user-${u}`)
      let any = false
      for (let k = 0; k < features; k++) {
        if (random() < rates[k]!) {
          counters[k]!.addHash(hash)
          exact[k]!++
          any = true
        }
      }
      if (any) {
        everyone.addHash(hash)
        exactAll++
      }
    }
    const all = everyone.estimate()
    const relative = counters.map((c, k) => Math.abs(c.estimate() / all / (exact[k]! / exactAll) - 1))
    const points = counters.map((c, k) => Math.abs(c.estimate() / all - exact[k]! / exactAll))
    worst.push(Math.max(...relative))
    worstPoints.push(Math.max(...points))
    sumRelative += relative.reduce((a, b) => a + b, 0)
  }
  const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const pct = (x: number) => `${(x * 100).toFixed(2)}`
  console.log(
    [
      `\nadoption-rate error over ${seeds} other populations of ${users.toLocaleString("en")} users:`,
      `  mean over all features: ${pct(sumRelative / (seeds * features))} % relative`,
      `  worst feature: ${pct(median(worst))} % relative (median), ${pct(Math.max(...worst))} % (max);`,
      `                 ${pct(median(worstPoints))} percentage points (median), ${
        pct(Math.max(...worstPoints))
      } (max)`
    ].join("\n")
  )
}

Effect.runPromise(Effect.gen(function*() {
  // A small unreported run first, so the code it compiles is not counted in the first figure.
  yield* run("", 1, new ManualClock(), 20_000)
  yield* run("one day", 1, new ManualClock())
  yield* run("30 days", 30, new ManualClock())
  errorAcrossSeeds(argument("seeds", 10))
})).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
