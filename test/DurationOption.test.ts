import { describe, expect, it } from "@effect/vitest"
import { Duration, Either, Schema } from "effect"
import { DurationOption, PositiveDuration, PositiveFiniteDuration } from "../src/internal/DurationOption.js"

const decode = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownEither(schema)

describe("DurationOption", () => {
  it("decodes every DurationInput form into a Duration", () => {
    expect(decode(DurationOption)("5 minutes")).toEqual(Either.right(Duration.minutes(5)))
    expect(decode(DurationOption)(1_500)).toEqual(Either.right(Duration.millis(1_500)))
    expect(decode(DurationOption)(Duration.seconds(2))).toEqual(Either.right(Duration.seconds(2)))
  })

  it("refuses what is not a duration", () => {
    expect(Either.isLeft(decode(DurationOption)("soon"))).toBe(true)
    expect(Either.isLeft(decode(DurationOption)({}))).toBe(true)
  })

  it("PositiveDuration refuses zero and accepts infinity; PositiveFiniteDuration refuses both", () => {
    expect(Either.isLeft(decode(PositiveDuration)("0 seconds"))).toBe(true)
    expect(Either.isRight(decode(PositiveDuration)(Duration.infinity))).toBe(true)
    expect(Either.isLeft(decode(PositiveFiniteDuration)(Duration.infinity))).toBe(true)
    expect(Either.isLeft(decode(PositiveFiniteDuration)(0))).toBe(true)
    expect(decode(PositiveFiniteDuration)("1 hour")).toEqual(Either.right(Duration.hours(1)))
  })
})
