import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as Drain from "../../src/instrumentation/Drain.js"

/** A drain of `capacity` items that records every chunk it handles. */
const recording = (capacity: number, fail?: (chunk: ReadonlyArray<number>) => boolean) =>
  Effect.gen(function*() {
    const chunks: Array<ReadonlyArray<number>> = []
    const drain = yield* Drain.make(capacity, (chunk: ReadonlyArray<number>) =>
      Effect.suspend(() => {
        chunks.push(chunk)
        return fail?.(chunk) ? Effect.die("chunk refused") : Effect.void
      }))
    return { chunks, drain }
  })

describe("Drain", () => {
  it.scoped("items are handled once each, in the order offered, across many wrap-arounds of the buffer", () =>
    Effect.gen(function*() {
      const { chunks, drain } = yield* recording(3)
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 3; i++) drain.offer(round * 3 + i)
        yield* drain.flush
      }
      expect(chunks.flat()).toEqual(Array.from({ length: 30 }, (_, i) => i))
      expect(drain.counts).toEqual({ offered: 30, dropped: 0, processed: 30, failures: 0 })
    }))

  it.scoped("a full buffer drops the newest items and counts them; the drain then takes more", () =>
    Effect.gen(function*() {
      const { chunks, drain } = yield* recording(4)
      for (let i = 0; i < 6; i++) drain.offer(i)
      yield* drain.flush
      drain.offer(6)
      yield* drain.flush
      expect(chunks.flat()).toEqual([0, 1, 2, 3, 6])
      expect(drain.counts).toMatchObject({ offered: 7, dropped: 2, processed: 5 })
    }))

  it.scoped("a buffer grown past its first size keeps the order, wrapped or not, up to its capacity", () =>
    Effect.gen(function*() {
      const { chunks, drain } = yield* recording(3_000)
      for (let i = 0; i < 700; i++) drain.offer(i)
      yield* drain.flush
      // The next items wrap around the end of the first 1,024 slots before the buffer grows twice.
      for (let i = 700; i < 3_900; i++) drain.offer(i)
      yield* drain.flush
      expect(chunks.flat()).toEqual(Array.from({ length: 3_700 }, (_, i) => i))
      expect(drain.counts).toMatchObject({ offered: 3_900, dropped: 200, processed: 3_700 })
    }))

  it.effect("what is still buffered when the scope closes is handled by its finalizer", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { chunks, drain } = yield* Scope.extend(recording(8), scope)
      for (let i = 0; i < 5; i++) drain.offer(i)
      yield* Scope.close(scope, Exit.void)
      expect(chunks.flat()).toEqual([0, 1, 2, 3, 4])
      expect(drain.counts.processed).toBe(5)
    }))

  it.scoped("a chunk that dies is counted as a failure and its items as processed; later chunks still run", () =>
    Effect.gen(function*() {
      const { chunks, drain } = yield* recording(8, (chunk) => chunk.includes(1))
      drain.offer(1)
      yield* drain.flush
      drain.offer(2)
      yield* drain.flush
      expect(chunks).toEqual([[1], [2]])
      expect(drain.counts).toMatchObject({ offered: 2, processed: 2, failures: 1 })
    }))
})
