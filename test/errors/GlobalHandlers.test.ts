import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Ref, Scope } from "effect"
import type { CaptureOptions } from "../../src/services/errors/Service.js"
import { installGlobalHandlers } from "../../src/services/errors/GlobalHandlers.js"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("GlobalHandlers", () => {
  it.effect("an event target's error and unhandledrejection are captured unhandled until the scope closes", () =>
    Effect.gen(function*() {
      const captured = yield* Ref.make<ReadonlyArray<readonly [unknown, CaptureOptions | undefined]>>([])
      const tracking = {
        captureError: (error: unknown, options?: CaptureOptions) =>
          Ref.update(captured, (all) => [...all, [error, options] as const]).pipe(
            Effect.as({ errorId: "", fingerprint: "", outcome: "sent" as const })
          )
      }
      const target = new EventTarget()
      const scope = yield* Scope.make()
      yield* installGlobalHandlers(tracking, Effect.void, { target }).pipe(Scope.extend(scope))
      const boom = new Error("boom")
      target.dispatchEvent(Object.assign(new Event("error"), { error: boom }))
      target.dispatchEvent(Object.assign(new Event("unhandledrejection"), { reason: "nope" }))
      yield* settle
      expect(yield* Ref.get(captured)).toEqual([
        [boom, { mechanism: "onerror", handled: false }],
        ["nope", { mechanism: "onunhandledrejection", handled: false }]
      ])
      yield* Scope.close(scope, Exit.void)
      target.dispatchEvent(Object.assign(new Event("error"), { error: new Error("after") }))
      yield* settle
      expect(yield* Ref.get(captured)).toHaveLength(2)
    }))
})
