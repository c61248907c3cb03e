/**
 * Error events folded into groups as `ErrorTracking` would hold them — count, distinct users (up to
 * `limits.usersPerGroup`), first and last seen, worst severity, recovery, and the latest occurrence with its
 * in-app frames and breadcrumbs — for the static report.
 *
 * @internal
 */
import type { Breadcrumb, ErrorCategory, Severity, StackFrame } from "../schemas/ErrorEvents.js"
import { severityRank } from "../schemas/ErrorEvents.js"
import type { TelemetryEvent } from "../schemas/TelemetryEvent.js"
import { groupSummary } from "../services/errors/ErrorGroups.js"
import type { ErrorGroupView, Snapshot } from "./Snapshot.js"
import { maxGroupsShown } from "./Snapshot.js"

type Json = Record<string, unknown>
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)
const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** The bounds of what is kept. */
export interface Limits {
  readonly groups: number
  readonly usersPerGroup: number
  readonly framesShown: number
  readonly breadcrumbsShown: number
}

interface Group {
  fingerprint: string
  type: string
  message: string
  category: ErrorCategory
  severity: Severity
  count: number
  firstSeen: number
  lastSeen: number
  users: Set<string>
  usersCapped: boolean
  attempts: number
  successes: number
  sample: NonNullable<ErrorGroupView["sample"]> | undefined
}

/** A fold of `error.*` events into groups. */
export const make = (limits: Limits) => {
  const groups = new Map<string, Group>()
  let captured = 0
  let groupsOmitted = 0

  const onError = (event: TelemetryEvent, d: Json) => {
    const fingerprint = str(d["fingerprint"])
    if (fingerprint === undefined) return
    let group = groups.get(fingerprint)
    if (event.type === "error.captured") captured++
    if (group === undefined) {
      if (event.type !== "error.captured") return
      if (groups.size >= limits.groups) return void groupsOmitted++
      group = {
        fingerprint,
        type: str(d["type"]) ?? "Error",
        message: str(d["message"]) ?? "",
        category: (str(d["category"]) ?? "unknown") as ErrorCategory,
        severity: (str(d["severity"]) ?? "ERROR") as Severity,
        count: 0,
        firstSeen: event.timestamp,
        lastSeen: event.timestamp,
        users: new Set(),
        usersCapped: false,
        attempts: 0,
        successes: 0,
        sample: undefined
      }
      groups.set(fingerprint, group)
    }
    if (event.type === "error.captured") {
      group.count++
      const severity = str(d["severity"]) as Severity | undefined
      if (severity !== undefined && (severityRank[severity] ?? 0) > severityRank[group.severity]) group.severity = severity
      if (event.userId !== undefined) {
        if (group.users.size < limits.usersPerGroup) group.users.add(event.userId)
        else if (!group.users.has(event.userId)) group.usersCapped = true
      }
      if (event.timestamp >= group.lastSeen || group.sample === undefined) {
        group.message = str(d["message"]) ?? group.message
        const frames = Array.isArray(d["frames"]) ? (d["frames"] as Array<StackFrame>) : []
        const crumbs = Array.isArray(d["breadcrumbs"]) ? (d["breadcrumbs"] as Array<Breadcrumb>) : []
        group.sample = {
          errorId: str(d["errorId"]) ?? "",
          fingerprint,
          type: group.type,
          message: group.message,
          severity: (severity ?? group.severity),
          category: group.category,
          kind: (str(d["kind"]) ?? "thrown") as NonNullable<ErrorGroupView["sample"]>["kind"],
          handled: d["handled"] !== false,
          mechanism: str(d["mechanism"]) ?? "",
          timestamp: event.timestamp,
          ...(event.userId === undefined ? {} : { userId: event.userId }),
          breadcrumbs: crumbs.length,
          frames: frames.filter((f) => isRecord(f) && f.inApp === true).slice(0, limits.framesShown),
          breadcrumbList: crumbs.slice(-limits.breadcrumbsShown)
        }
      }
    } else if (event.type === "error.repeated") {
      group.count += num(d["count"]) ?? 0
    } else if (event.type === "error.recovery") {
      group.attempts++
      if (d["succeeded"] === true) group.successes++
    }
    group.firstSeen = Math.min(group.firstSeen, event.timestamp)
    group.lastSeen = Math.max(group.lastSeen, event.timestamp)
  }

  const view = (): Snapshot["errors"] => ({
    groupCount: groups.size + groupsOmitted,
    captured,
    groups: [...groups.values()].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, maxGroupsShown).map((g) => ({
      ...groupSummary(g),
      ...(g.sample === undefined ? {} : { sample: g.sample })
    }))
  })

  return { add: onError, view, omitted: () => groupsOmitted }
}
