/**
 * The OTLP resource and instrumentation scope every signal we export carries: who exports
 * (`service.*`, `deployment.environment.name`, `telemetry.sdk.*`) and which library produced it.
 *
 * @internal
 */
import { libraryName, libraryVersion } from "../../internal/version.js"
import type { AnyValue, Resource, Scope } from "./Model.js"

/** What a resource is made of; every field is optional. */
export interface ResourceOptions {
  /** `service.name`; default `effect-telemetry` (or the `service.name` of `attributes`). */
  readonly serviceName?: string | undefined
  /** `service.version` (the release); none by default. */
  readonly serviceVersion?: string | undefined
  /** `deployment.environment.name`; none by default. */
  readonly deploymentEnvironment?: string | undefined
  /** Extra resource attributes; they never replace `telemetry.sdk.*` nor an option given above. */
  readonly attributes?: Readonly<Record<string, string>> | undefined
  /** `telemetry.sdk.language`: by default `webjs` in a page or a worker, else `nodejs`. */
  readonly language?: "nodejs" | "webjs" | undefined
}

const sdkPrefix = "telemetry.sdk."

/** `webjs` where there is a document or a worker scope (a browser), else `nodejs`. */
const runtimeLanguage = (): "nodejs" | "webjs" =>
  "document" in globalThis || "WorkerGlobalScope" in globalThis ? "webjs" : "nodejs"

/**
 * The exported resource: `service.name`, `service.version`, `deployment.environment.name`,
 * `telemetry.sdk.{name,language,version}`, then the user's attributes in their order.
 */
export const makeResource = (options: ResourceOptions = {}): Resource => {
  const user = options.attributes ?? {}
  const own = (key: string): string | undefined => Object.hasOwn(user, key) ? user[key] : undefined
  const entries: Array<[string, AnyValue]> = [["service.name", options.serviceName ?? own("service.name") ?? libraryName]]
  const version = options.serviceVersion ?? own("service.version")
  if (version !== undefined) entries.push(["service.version", version])
  const environment = options.deploymentEnvironment ?? own("deployment.environment.name")
  if (environment !== undefined) entries.push(["deployment.environment.name", environment])
  entries.push(
    ["telemetry.sdk.name", libraryName],
    ["telemetry.sdk.language", options.language ?? runtimeLanguage()],
    ["telemetry.sdk.version", libraryVersion]
  )
  const taken = new Set(entries.map(([key]) => key))
  for (const [key, value] of Object.entries(user)) {
    if (!taken.has(key) && !key.startsWith(sdkPrefix)) entries.push([key, value])
  }
  // fromEntries defines own properties: a `__proto__` attribute stays an attribute.
  return { attributes: Object.fromEntries(entries) }
}

/** The instrumentation scope of everything we export: this library, at its version. */
export const scope: Scope = { name: libraryName, version: libraryVersion }
