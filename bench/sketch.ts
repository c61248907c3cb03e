/**
 * `npx tsx bench/sketch.ts`: the quantile sketch behind `percentiles` — its relative error at
 * p50/p95/p99 on 100k samples of four distributions (against the exact sorted quantiles), the heap one
 * sketch holds once its bucket bound is reached, and the cost of adding a sample.
 */
import { mulberry32 } from "../src/internal/mulberry32.js"
import { heap } from "./heap.js"
import { DistinctCounter } from "../src/internal/DistinctCounter.js"
import { QuantileSketch } from "../src/internal/QuantileSketch.js"

const seeded = mulberry32
const random = seeded(7)
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())

const distributions: ReadonlyArray<readonly [string, () => number]> = [
  ["uniform [0, 1000)", () => random() * 1000],
  ["exponential, mean 100", () => -Math.log(1 - random()) * 100],
  ["log-normal, median 200, σ 1", () => Math.exp(Math.log(200) + gaussian())],
  ["bimodal 70 % ~50, 30 % ~2000", () => (random() < 0.7 ? Math.abs(50 + 5 * gaussian()) : Math.abs(2000 + 200 * gaussian()))]
]

// Each section is a function, so nothing it allocated stays reachable from a stack slot of the next.
const accuracy = () => {
  const n = 100_000
  const { relativeAccuracy, scale } = new QuantileSketch()
  console.log(
    `Relative error against the exact quantiles of ${n.toLocaleString("en")} samples (scale ${scale}, α = ${
      (relativeAccuracy * 100).toFixed(2)
    } %):`
  )
  for (const [name, draw] of distributions) {
    const values = Array.from({ length: n }, draw)
    const sketch = new QuantileSketch()
    for (const v of values) sketch.add(v)
    const sorted = [...values].sort((a, b) => a - b)
    const errors = [0.5, 0.95, 0.99].map((q) => {
      // R-7, the sketch's own definition: linear interpolation at h = (n − 1)q.
      const h = q * (n - 1)
      const low = sorted[Math.floor(h)]!
      const exact = low + (h - Math.floor(h)) * (sorted[Math.ceil(h)]! - low)
      return `p${Math.round(q * 100)} ${(Math.abs(sketch.quantile(q) - exact) / exact * 100).toFixed(3)} %`
    })
    console.log(`  ${name.padEnd(30)} ${errors.join("  ")}  (${sketch.bucketCount} buckets, ${sketch.byteSize} B)`)
  }
}

const memory = () => {
  // Heap per sketch at its bound: 1,000 sketches, each fed values spanning e^20 (more than the window).
  const count = 1_000
  const before = heap()
  const sketches: Array<QuantileSketch> = []
  for (let i = 0; i < count; i++) {
    const sketch = new QuantileSketch()
    for (let j = 0; j < 5_000; j++) sketch.add(Math.exp(random() * 20))
    sketches.push(sketch)
  }
  const perSketch = (heap() - before) / count
  console.log(
    `\nHeap per full sketch: ${perSketch.toFixed(0)} B measured (${sketches[0]!.bucketCount} buckets; ${
      sketches[0]!.byteSize
    } B self-reported)`
  )

  const counters: Array<DistinctCounter> = []
  const beforeCounters = heap()
  for (let i = 0; i < count; i++) {
    const counter = new DistinctCounter()
    for (let j = 0; j < 2_000; j++) counter.add(`u${i}-${j}`)
    counters.push(counter)
  }
  console.log(
    `Heap per HyperLogLog counter (precision ${counters[0]!.precision}): ${
      ((heap() - beforeCounters) / count).toFixed(0)
    } B measured (${counters[0]!.byteSize} B self-reported)`
  )
  // Use both sets after the last reading, so the GC cannot free one while the other is measured.
  if (sketches.length + counters.length !== 2 * count) throw new Error("unreachable")
}

const speed = () => {
  const adds = 5_000_000
  const sketch = new QuantileSketch()
  const values = Array.from({ length: 1 << 16 }, () => Math.exp(Math.log(200) + gaussian()))
  const started = process.hrtime.bigint()
  for (let i = 0; i < adds; i++) sketch.add(values[i & 0xffff]!)
  console.log(`add: ${(Number(process.hrtime.bigint() - started) / adds).toFixed(1)} ns per sample`)
}

accuracy()
memory()
speed()
