import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import type { Settings } from "../src/services/health/Options.js"
import * as Registry from "../src/services/health/Registry.js"

const settings = (over: Partial<Settings> = {}): Settings => ({
  interval: Duration.seconds(1),
  timeout: Duration.seconds(1),
  critical: true,
  dependencies: [],
  thresholds: { failureThreshold: 1, recoveryThreshold: 1, degradedLatencyMs: undefined },
  ...over
})

const withEntries = (...entries: ReadonlyArray<Registry.Entry>): Registry.Registry => ({
  entries: new Map(entries.map((e) => [e.name, e])),
  overall: "HEALTHY",
  nextId: entries.length
})

const failure = (at: number) => ({ _tag: "failure", at, latencyMs: 1, error: "down" }) as const
const success = (at: number) => ({ _tag: "success", at, latencyMs: 1 }) as const

describe("Registry", () => {
  it("a result moves its service and its dependents; settle reports each change once, in order", () => {
    const db = Registry.newEntry(0, "db", Effect.void, settings(), 0)
    const api = Registry.newEntry(1, "api", Effect.void, settings({ dependencies: ["db"] }), 0)
    let reg = withEntries(db, api)
    for (const [name, result] of [["db", success(1)], ["api", success(1)]] as const) {
      const applied = Registry.applyResult(reg, reg.entries.get(name)!, result)!
      reg = Registry.settle(applied.entries, 1, reg.nextId).registry
    }
    expect(reg.overall).toBe("HEALTHY")
    const applied = Registry.applyResult(reg, db, failure(2))!
    const { changes, registry } = Registry.settle(applied.entries, 2, reg.nextId)
    expect(changes.map((c) => [c.service, c.from, c.to, c.overall])).toEqual([
      ["db", "HEALTHY", "UNHEALTHY", "UNHEALTHY"],
      ["api", "HEALTHY", "DEGRADED", "UNHEALTHY"]
    ])
    expect(registry.entries.get("api")!.statusSince).toBe(2)
    expect(Registry.settle(new Map(registry.entries), 3, registry.nextId).changes).toEqual([])
    expect(Registry.readinessOf(registry)).toEqual({ ready: false, notReady: ["db"] })
  })

  it("a result of an earlier registration of the same name is dropped", () => {
    const old = Registry.newEntry(0, "db", Effect.void, settings(), 0)
    const current = Registry.newEntry(5, "db", Effect.void, settings(), 0)
    expect(Registry.applyResult(withEntries(current), old, failure(1))).toBeUndefined()
    expect(Registry.applyResult(withEntries(), old, failure(1))).toBeUndefined()
  })

  it("recovering from UNHEALTHY yields the downtime", () => {
    const db = Registry.newEntry(0, "db", Effect.void, settings(), 0)
    let reg = withEntries(db)
    reg = Registry.settle(Registry.applyResult(reg, db, failure(1_000))!.entries, 1_000, 1).registry
    const recovered = Registry.applyResult(reg, db, success(4_000))!.recovered
    expect(recovered).toEqual([{ service: "db", downtimeMs: 3_000, downSince: 1_000, recoveredAt: 4_000 }])
  })

  it("withoutHistory forgets checks run but keeps the status", () => {
    const db = Registry.newEntry(0, "db", Effect.void, settings(), 0)
    const reg = Registry.settle(Registry.applyResult(withEntries(db), db, failure(1))!.entries, 1, 1).registry
    const cleared = Registry.withoutHistory(reg).entries.get("db")!
    expect(cleared.state.checks).toBe(0)
    expect(cleared.published).toBe("UNHEALTHY")
    expect(Registry.serviceHealth(cleared, Registry.statusesOf(reg.entries))).toMatchObject({ status: "UNHEALTHY", checks: 0 })
  })

  it("a dependency that would close a cycle is found", () => {
    const a = Registry.newEntry(0, "a", Effect.void, settings({ dependencies: ["b"] }), 0)
    expect(Registry.cycleWith(withEntries(a), "b", ["a"])).toEqual(["b", "a", "b"])
    expect(Registry.cycleWith(withEntries(a), "b", [])).toBeUndefined()
  })
})
