/**
 * Sending from the buffer with more than one request in flight. Each drain sends its first batch alone;
 * once the receiver has accepted one, while the buffer holds more events, up to `maxInFlight` consecutive
 * batches are sent at once (a failing receiver thus sees one batch and its retries, as before), each with
 * its own first attempt and retries, and
 * they are settled strictly in the order they were taken: the books, the outbox and the offline state
 * change exactly as if the batches had been sent one after the other. Once a batch has failed (the
 * collector goes offline) or left halves in the outbox, no new send starts; those under way finish their
 * own attempts. Cut short (a flush timing out, the scope closing), the batches still under way go to the
 * front of the outbox, oldest first.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type { TransportError } from "../../schemas/errors.js"
import type { Receipt } from "../../transports/TransportTag.js"
import type { Counters } from "./accounting.js"
import type { Held, Pending } from "./pending.js"
import type { Sending } from "./sending.js"

/**
 * How many batches from the buffer may be under way at once (8): enough to keep a receiver busy while the
 * next batches are encoded and answered (8 sent 10–17 % more events a second than 4 at the default batch
 * size, `bench/delivery.ts`), few enough that a failing receiver sees a handful of requests, not a flood.
 *
 * @internal
 */
export const defaultMaxInFlight = 8

interface Flight {
  readonly held: Held
  readonly fiber: Fiber.RuntimeFiber<void | Receipt, TransportError>
}

/**
 * Sends from the buffer while at least `minimum` events wait, with up to `maxInFlight` sends under way;
 * returns when the buffer runs low, or once a batch failed or the outbox holds something (the caller
 * drains the outbox first, or spills the buffer offline).
 */
export const sendFromBuffer = (
  settings: { readonly maxBatchSize: number; readonly maxInFlight: number },
  pending: Pending,
  counters: Counters,
  sending: Pick<Sending, "send" | "settleExit" | "store">
) =>
(minimum: number): Effect.Effect<void> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const flights: Array<Flight> = []
      const cutShort: Array<Held> = []
      let open = true
      let limit = 1
      while (true) {
        while (open && flights.length < limit && pending.buffer.length >= Math.max(1, minimum)) {
          const held = pending.hold(settings.maxBatchSize)
          flights.push({ held, fiber: yield* Effect.fork(restore(sending.send(held.batch, true))) })
        }
        const flight = flights.shift()
        if (flight === undefined) break
        // Interrupted while waiting, every later wait is interrupted at once too: each send is then cut
        // short in turn (one that already answered keeps its answer).
        const awaited = yield* Effect.exit(restore(Fiber.await(flight.fiber)))
        const exit = Exit.isSuccess(awaited) ? awaited.value : yield* Fiber.interrupt(flight.fiber)
        if (Exit.isFailure(awaited)) open = false
        if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) {
          cutShort.push(flight.held)
          open = false
          continue
        }
        const outcome = yield* sending.settleExit(flight.held.batch, false, exit, flight.held.release)
        if (outcome === "failed" || counters.outboxed > 0) open = false
        else if (Exit.isSuccess(exit)) limit = settings.maxInFlight
      }
      // Each goes to the front: the newest first, so the oldest ends up in front.
      for (let i = cutShort.length - 1; i >= 0; i--) {
        const held = cutShort[i]!
        yield* sending.store(held.batch, "oldest", held.release)
      }
    })
  )
