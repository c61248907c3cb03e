import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Ref, Schema } from "effect"
import { eventRecorder, inputDecoders, refusal } from "../src/internal/recording.js"
import { InvalidEventError } from "../src/schemas/errors.js"
import { makeRecordingCollector } from "./support/RecordingCollector.js"

class Invalid extends Schema.TaggedError<Invalid>()("Invalid", { field: Schema.String, message: Schema.String }) {}
const invalid = (fields: { readonly field: string; readonly message: string }) => new Invalid(fields)

describe("recording", () => {
  it("inputDecoders name the first offending field under the root, as an Either or an Effect", () =>
    Effect.runPromise(Effect.gen(function*() {
      const decoders = inputDecoders(invalid)
      const schema = Schema.Struct({ size: Schema.Number })
      const either = decoders.either(schema, "input")({ size: "big" })
      expect(Either.isLeft(either) && either.left.field).toBe("input.size")
      const error = yield* Effect.flip(decoders.effect(schema)({ size: 1, extra: true }))
      expect(error.field).toBe("extra")
      expect(yield* decoders.effect(schema)({ size: 1 })).toEqual({ size: 1 })
    })))

  it("refusal takes the first issue's path, or data when it names none", () => {
    expect(refusal(new InvalidEventError({ issues: [{ path: ["data", "a"], message: "bad" }] }))).toEqual({
      field: "data.a",
      message: "bad"
    })
    expect(refusal(new InvalidEventError({ issues: [] })).field).toBe("data")
  })

  it.effect("track maps a refusal to the service's error; trackQuietly swallows refusals and defects", () =>
    Effect.gen(function*() {
      const rec = yield* makeRecordingCollector()
      const { track, trackQuietly } = eventRecorder(rec.sink, invalid, "test event")
      yield* track({ type: "test.ok", data: { n: 1 }, userId: "ann" })
      const error = yield* Effect.flip(track({ type: "test.bad", data: { n: Number.NaN } }))
      expect(error).toBeInstanceOf(Invalid)
      expect(error.field.startsWith("data")).toBe(true)
      yield* trackQuietly({ type: "test.bad", data: { n: Number.NaN } })
      yield* Ref.set(rec.failing, true)
      yield* trackQuietly({ type: "test.down", data: {} })
      expect(yield* Effect.exit(track({ type: "test.down", data: {} }))).toMatchObject({ _tag: "Failure" })
      yield* Ref.set(rec.failing, false)
      expect((yield* rec.tracked).map((e) => [e.type, e.userId])).toEqual([["test.ok", "ann"]])
    }))
})
