import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { libraryVersion } from "../../src/internal/version.js"
import { makeResource, scope } from "../../src/transports/otlp/Resource.js"

describe("makeResource", () => {
  it("states the version package.json publishes", () => {
    const published = JSON.parse(Fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version
    expect(libraryVersion).toBe(published)
  })

  it("names the service effect-telemetry by default and states the SDK, nodejs by default", () => {
    expect(makeResource()).toEqual({
      attributes: {
        "service.name": "effect-telemetry",
        "telemetry.sdk.name": "effect-telemetry",
        "telemetry.sdk.language": "nodejs",
        "telemetry.sdk.version": libraryVersion
      }
    })
  })

  it("puts the service, its version and environment first, then the SDK, then the user's attributes in order", () => {
    const { attributes } = makeResource({
      serviceName: "chat",
      serviceVersion: "2.0.0",
      deploymentEnvironment: "staging",
      language: "webjs",
      attributes: { "host.name": "h1", team: "ml" }
    })
    expect(Object.entries(attributes)).toEqual([
      ["service.name", "chat"],
      ["service.version", "2.0.0"],
      ["deployment.environment.name", "staging"],
      ["telemetry.sdk.name", "effect-telemetry"],
      ["telemetry.sdk.language", "webjs"],
      ["telemetry.sdk.version", libraryVersion],
      ["host.name", "h1"],
      ["team", "ml"]
    ])
  })

  it("user attributes never replace telemetry.sdk.* nor a given option, but stand in for an absent one", () => {
    const { attributes } = makeResource({
      serviceName: "chat",
      attributes: {
        "telemetry.sdk.name": "fake",
        "telemetry.sdk.language": "go",
        "service.name": "other",
        "service.version": "9"
      }
    })
    expect(attributes).toEqual({
      "service.name": "chat",
      "service.version": "9",
      "telemetry.sdk.name": "effect-telemetry",
      "telemetry.sdk.language": "nodejs",
      "telemetry.sdk.version": libraryVersion
    })
    expect(makeResource({ attributes: { "service.name": "from-env" } }).attributes["service.name"]).toBe("from-env")
  })

  it("an attribute named __proto__ stays an attribute", () => {
    const attributes = JSON.parse("{\"__proto__\":\"x\"}") as Record<string, string>
    const resource = makeResource({ attributes })
    expect(Object.keys(resource.attributes)).toContain("__proto__")
    expect(Object.getPrototypeOf(resource.attributes)).toBe(Object.prototype)
  })

  it("the scope is this library at its version", () => {
    expect(scope).toEqual({ name: "effect-telemetry", version: libraryVersion })
  })
})
