/**
 * Fault suite, scenario 6: 10,000 generated bad inputs through `trackUnknown`, interleaved with 2,500
 * generated valid events, over the real HTTP transport. No input may crash the caller (no defect, no
 * synchronous throw): each bad one fails with a typed `InvalidEventError` that says where and why, and
 * each valid one arrives exactly as given. Redaction is off so "exactly as given" can be compared
 * byte for byte (redaction has its own suite).
 *
 * The inputs come from seeded fast-check generators (`FastCheck.sample`), so a failure is reproducible;
 * the assertion messages print the offending inputs.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, FastCheck as fc, Logger, LogLevel, Option } from "effect"
import * as Util from "node:util"
import { InvalidEventError } from "../../src/schemas/errors.js"
import { identifierPiiKind } from "../../src/services/redactor/patterns.js"
import { report } from "./support/Figures.js"
import * as Loopback from "./support/Loopback.js"
import { faultTestTimeout } from "./support/Timeouts.js"

const seed = 20_261_127

// ---- valid events -----------------------------------------------------------------------------

// (a type shaped like personal data — `ab::1` is an IPv6 address — is refused by design: see EventValidation)
const eventType = fc.stringMatching(/^[A-Za-z0-9_.:/-]{1,40}$/).filter((type) => identifierPiiKind(type) === undefined)
const jsonData = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
const tags = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 30 }), { maxKeys: 5 })

/** A valid event input; `seq` is added to its data to recognise it on arrival. */
const validEvent = fc.record({
  type: eventType,
  data: jsonData,
  userId: fc.string({ minLength: 1, maxLength: 40 }),
  tags,
  timestamp: fc.integer({ min: 0, max: 4_000_000_000_000 })
}, { requiredKeys: ["type"] })

// ---- bad inputs: each generator breaks exactly one rule of an otherwise valid event ----------------

const defineField = (target: object, key: string, value: unknown): object =>
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true })

const withField = (key: string, value: fc.Arbitrary<unknown>) =>
  fc.tuple(validEvent, value).map(([event, v]) => defineField({ ...event }, key, v))

class Custom {
  readonly kind = "custom"
}

/**
 * Values that are not JSON data. (`undefined` is not among them: like `JSON.stringify`, `track` leaves an
 * `undefined` property out and writes an `undefined` array element — a sparse array's hole too — as `null`.)
 */
const poison: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.bigInt(),
  fc.constant(Symbol("s")),
  fc.constant(() => 1),
  fc.constant(new Date(0)),
  fc.constant(new Map([["a", 1]])),
  fc.constant(new Custom()),
  fc.constant(new Uint8Array(2))
)

/** `poison` buried 0–5 levels deep in objects and arrays. */
const pathStep = fc.oneof(fc.string({ maxLength: 5 }), fc.nat(3))
const buried: fc.Arbitrary<unknown> = fc.tuple(poison, fc.array(pathStep, { maxLength: 5 })).map(([value, path]) =>
  path.reduceRight<unknown>(
    (inner, step) =>
      typeof step === "number" ? [...Array<null>(step).fill(null), inner] : defineField({}, step, inner),
    value
  )
)

const cyclic = fc.constant(null).map(() => {
  const node: Record<string, unknown> = { a: 1 }
  node.self = { back: node }
  return node
})

const tooDeep = fc.integer({ min: 33, max: 60 }).map((depth) => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = { d: value }
  return value
})

const tooLarge = fc.integer({ min: 33 * 1024, max: 64 * 1024 }).map((size) => ({ text: "é".repeat(size / 2) }))

/**
 * Hostile inputs are built when used, not when generated: fast-check looks into the values it
 * generates (for a clone method), which a revoked Proxy does not survive.
 */
class Hostile {
  constructor(readonly build: () => unknown) {}
}

const throwingGetter = (key: string) =>
  Object.defineProperty({}, key, {
    enumerable: true,
    get() {
      throw new Error(`getter ${key} throws`)
    }
  })

const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}

const throwingProxy = (trap: string) =>
  new Proxy({ type: "x" }, {
    [trap]: () => {
      throw new Error(`${trap} trap throws`)
    }
  })

const notAnEventType = fc.oneof(
  fc.constant(""),
  fc.stringMatching(/^[a-z]{129,160}$/),
  fc.tuple(eventType, fc.constantFrom(" ", "é", "\n", "#", "?", "*", "\u0000"), eventType).map(([a, c, b]) => a + c + b),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(eventType, { maxLength: 2 }),
  fc.constant(new String("x"))
)

const badInput: fc.Arbitrary<unknown> = fc.oneof(
  // not an object at all
  fc.oneof(
    fc.string(),
    fc.double(),
    fc.bigInt(),
    fc.boolean(),
    fc.constantFrom(null, undefined, Symbol("s"), () => 1),
    fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 }),
    fc.constant(new Date(0))
  ),
  // the type
  withField("type", notAnEventType),
  validEvent.map(({ type: _type, ...rest }) => rest),
  // the data
  withField("data", fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }))),
  fc.tuple(validEvent, fc.string({ minLength: 1, maxLength: 8 }), buried).map(([event, key, value]) =>
    ({ ...event, data: defineField({ ...(event.data ?? {}) }, key, value) })
  ),
  withField("data", cyclic),
  withField("data", tooDeep),
  withField("data", tooLarge),
  // the other fields
  withField("userId", fc.oneof(fc.constant(""), fc.stringMatching(/^[a-z]{257,300}$/), fc.integer(), fc.constant(null))),
  withField("tags", fc.oneof(
    fc.string(),
    fc.constant(null),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.constant(null), fc.object({ maxDepth: 1 })), {
      minKeys: 1,
      maxKeys: 3
    }).filter((t) => Object.values(t).some((v) => typeof v !== "string")),
    fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 33, maxLength: 40 }).map((keys) =>
      Object.fromEntries(keys.map((k) => [k, "v"]))
    ),
    fc.stringMatching(/^[a-z]{1025,1100}$/).map((value) => ({ long: value }))
  )),
  withField("timestamp", fc.oneof(
    fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, "1700000000000", null)
  )),
  // a field that is not part of an event
  fc.tuple(validEvent, fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue())
    .filter(([, key]) => !["type", "data", "userId", "tags", "timestamp", "__proto__"].includes(key))
    .map(([event, key, value]) => defineField({ ...event }, key, value)),
  // hostile objects: throwing getters, revoked and throwing proxies
  fc.constantFrom("type", "data", "userId", "extra").map((key) => new Hostile(() => throwingGetter(key))),
  validEvent.map((event) => new Hostile(() => ({ ...event, data: throwingGetter("secret") }))),
  fc.constant(new Hostile(revoked)),
  validEvent.map((event) => new Hostile(() => ({ ...event, data: revoked() }))),
  // (the traps reading an event goes through; a Proxy that throws only elsewhere is a readable, valid event)
  fc.constantFrom("ownKeys", "get", "getPrototypeOf").map((trap) =>
    new Hostile(() => throwingProxy(trap))
  )
)

const show = (u: unknown) => {
  try {
    return Util.inspect(u, { depth: 4, breakLength: Infinity }).slice(0, 300)
  } catch {
    return "<uninspectable>"
  }
}

describe("fault: bad input", () => {
  it.scoped("10,000 bad inputs among valid events: no crash, each bad one a typed error, each valid one delivered", () =>
    Effect.gen(function*() {
      const bad = fc.sample(badInput, { numRuns: 10_000, seed }).map((u) => (u instanceof Hostile ? u.build() : u))
      const valid = fc.sample(validEvent, { numRuns: 2_500, seed: seed + 1 }).map((event, seq) => ({
        ...event,
        data: { ...event.data, seq }
      }))
      const rig = yield* Loopback.start({ redactPII: false, flushInterval: "1 hour" })

      const crashed: Array<string> = []
      const accepted: Array<string> = []
      const untyped: Array<string> = []
      const refusedValid: Array<string> = []
      for (let i = 0; i < bad.length; i++) {
        const input = bad[i]
        let exit: Exit.Exit<void, InvalidEventError>
        try {
          exit = yield* Effect.exit(rig.collector.trackUnknown(input))
        } catch (thrown) {
          crashed.push(`${show(input)} threw ${show(thrown)}`)
          continue
        }
        if (Exit.isSuccess(exit)) accepted.push(show(input))
        else if (Cause.isDie(exit.cause) || Cause.isInterrupted(exit.cause)) {
          crashed.push(`${show(input)}: ${Cause.pretty(exit.cause)}`)
        } else {
          const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
          const typed = error instanceof InvalidEventError && error._tag === "InvalidEventError" &&
            error.issues.length > 0 && error.issues.every((issue) => Array.isArray(issue.path) && issue.message.length > 0)
          if (!typed) untyped.push(`${show(input)}: ${show(error)}`)
        }
        if (i % 4 === 3) {
          const event = valid[(i - 3) / 4]!
          const validExit = yield* Effect.exit(rig.collector.trackUnknown(event))
          if (Exit.isFailure(validExit)) refusedValid.push(`${show(event)}: ${Cause.pretty(validExit.cause)}`)
        }
        // a program between bursts: the batches filled so far are sent before it goes on
        if (i % 200 === 199) yield* rig.quiet
      }
      expect(crashed).toEqual([])
      expect(accepted).toEqual([])
      expect(untyped).toEqual([])
      expect(refusedValid).toEqual([])

      yield* rig.collector.flush
      const arrived = (yield* rig.delivered).flatMap((p) => p.events)
      expect(arrived.map((e) => e.data.seq)).toEqual(valid.map((_, seq) => seq))
      expect(new Set(arrived.map((e) => e.id)).size).toBe(valid.length)
      const mismatches = arrived.flatMap((event, seq) => {
        const given = valid[seq]!
        const same = event.type === given.type && event.userId === given.userId &&
          JSON.stringify(event.data) === JSON.stringify(given.data) &&
          JSON.stringify(event.tags) === JSON.stringify(given.tags) &&
          event.timestamp === (given.timestamp ?? event.timestamp)
        return same ? [] : [`given ${show(given)}, arrived ${show(event)}`]
      })
      expect(mismatches).toEqual([])

      const s = yield* rig.stats
      expect(s).toMatchObject({ invalid: bad.length, tracked: valid.length, accepted: valid.length, sent: valid.length })
      expect(s.dropped.total).toBe(0)
      expect(Loopback.balanced(s)).toBe(true)
      yield* report("bad input", { bad: bad.length, valid: valid.length, crashes: crashed.length, delivered: arrived.length })
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Error)), faultTestTimeout)
})
