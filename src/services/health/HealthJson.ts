/**
 * The health report as `application/health+json` (IETF draft "Health Check Response Format for HTTP
 * APIs"): `status` is `pass | warn | fail`, `checks` is keyed `component:measurement`, each an array
 * of observations.
 */
import type { HealthReport, HealthStatus, ServiceHealth } from "../../schemas/HealthEvents.js"

/** The media type of the response. */
export const healthJsonContentType = "application/health+json"

/** IETF status of one of ours: DEGRADED and UNKNOWN warn, UNHEALTHY fails. */
export type IetfStatus = "pass" | "warn" | "fail"

export const ietfStatus = (status: HealthStatus): IetfStatus =>
  status === "HEALTHY" ? "pass" : status === "UNHEALTHY" ? "fail" : "warn"

/** HTTP status for an IETF status: 200 for pass and warn, 503 for fail. */
export const httpStatus = (status: IetfStatus): number => (status === "fail" ? 503 : 200)

/** One observation under `checks`. */
export interface HealthJsonCheck {
  readonly componentId?: string
  readonly componentType: string
  readonly observedValue?: number
  readonly observedUnit?: string
  readonly status: IetfStatus
  readonly time?: string
  readonly output?: string
  /** Extensions (allowed by the draft): ours, per service. */
  readonly critical?: boolean
  readonly consecutiveFailures?: number
  readonly successRate?: number | null
  readonly dependencies?: ReadonlyArray<string>
}

/** The whole document. */
export interface HealthJson {
  readonly status: IetfStatus
  readonly version?: string
  readonly releaseId?: string
  readonly serviceId?: string
  readonly description?: string
  readonly output?: string
  readonly checks: { readonly [componentMeasurement: string]: ReadonlyArray<HealthJsonCheck> }
}

/** Identifies the service in the document. */
export interface HealthJsonInfo {
  readonly serviceId?: string
  readonly description?: string
  readonly version?: string
  readonly releaseId?: string
}

const iso = (millis: number): string => new Date(millis).toISOString()

const serviceCheck = (s: ServiceHealth): HealthJsonCheck => {
  const status = ietfStatus(s.status)
  const check: { -readonly [K in keyof HealthJsonCheck]: HealthJsonCheck[K] } = {
    componentId: s.name,
    componentType: "component",
    status,
    critical: s.critical,
    consecutiveFailures: s.consecutiveFailures,
    successRate: s.successRate,
    dependencies: s.dependencies
  }
  if (s.lastLatencyMs !== null) {
    check.observedValue = s.lastLatencyMs
    check.observedUnit = "ms"
  }
  if (s.lastCheckedAt !== null) check.time = iso(s.lastCheckedAt)
  // The draft keeps `output` for warn and fail; for pass it "SHOULD NOT" be set.
  if (status !== "pass") check.output = s.lastError === null ? s.reason : `${s.reason}: ${s.lastError}`
  return check
}

/** The report as a health+json document; `select` limits the services listed (e.g. critical ones for readiness). */
export const toHealthJson = (
  report: HealthReport,
  info: HealthJsonInfo = {},
  select: (service: ServiceHealth) => boolean = () => true
): HealthJson => {
  const checks: Record<string, ReadonlyArray<HealthJsonCheck>> = {
    uptime: [{
      componentType: "system",
      observedValue: report.uptimeMs / 1000,
      observedUnit: "s",
      status: "pass",
      time: iso(report.timestamp)
    }]
  }
  const failing: Array<string> = []
  for (const s of Object.values(report.services)) {
    if (!select(s)) continue
    checks[`${s.name}:responseTime`] = [serviceCheck(s)]
    if (s.status !== "HEALTHY") failing.push(`${s.name} ${s.status}`)
  }
  const status = ietfStatus(report.status)
  return {
    status,
    ...info,
    ...(status === "pass" || failing.length === 0 ? {} : { output: failing.join("; ") }),
    checks
  }
}
