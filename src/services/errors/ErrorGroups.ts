/**
 * The error groups and recently captured errors, as one immutable state updated atomically in a `Ref`:
 * occurrences per group (count, first/last seen, worst severity, distinct users) and recovery
 * attempts per error id and per group. Both maps are bounded (see `LruMap`).
 */
import type { ErrorCategory, ErrorGroup, RecoveryStats, Severity } from "../../schemas/ErrorEvents.js"
import { worseSeverity } from "./Classification.js"
import { hash64 } from "./Fingerprint.js"
import * as LruMap from "./LruMap.js"

/**
 * What is kept per group. Users are an exact set up to `maxUsersPerGroup`; past it, new users are not
 * counted. The set holds hashes of user ids, never the ids: they may be e-mail addresses, and the set
 * only counts.
 */
export interface GroupState {
  readonly fingerprint: string
  readonly type: string
  readonly message: string
  readonly category: ErrorCategory
  readonly severity: Severity
  readonly count: number
  readonly firstSeen: number
  readonly lastSeen: number
  readonly users: ReadonlySet<string>
  readonly usersCapped: boolean
  readonly attempts: number
  readonly successes: number
}

/** What is kept per captured error, for recovery tracking. */
export interface TrackedError {
  readonly fingerprint: string
  readonly attempts: number
  readonly successes: number
}

export interface ErrorGroupsState {
  readonly groups: LruMap.LruMap<string, GroupState>
  readonly errors: LruMap.LruMap<string, TrackedError>
  readonly maxUsersPerGroup: number
}

/** Empty state with its bounds. */
export const empty = (bounds: {
  readonly maxGroups: number
  readonly maxTrackedErrors: number
  readonly maxUsersPerGroup: number
}): ErrorGroupsState => ({
  groups: LruMap.empty(bounds.maxGroups),
  errors: LruMap.empty(bounds.maxTrackedErrors),
  maxUsersPerGroup: bounds.maxUsersPerGroup
})

/** One captured occurrence. */
export interface Occurrence {
  readonly errorId: string
  readonly fingerprint: string
  readonly type: string
  readonly message: string
  readonly category: ErrorCategory
  readonly severity: Severity
  readonly userId: string | undefined
  readonly at: number
}

const withUser = (
  users: ReadonlySet<string>,
  capped: boolean,
  userId: string | undefined,
  max: number
): { readonly users: ReadonlySet<string>; readonly capped: boolean } => {
  if (userId === undefined) return { users, capped }
  const key = hash64(userId)
  if (users.has(key)) return { users, capped }
  if (users.size >= max) return { users, capped: true }
  // Copy on write: only a new user copies the set, and the set is at most `max` long.
  return { users: new Set(users).add(key), capped }
}

/** Records an occurrence in its group (creating it, possibly evicting the least recently seen) and its id. */
export const recordOccurrence = (state: ErrorGroupsState, o: Occurrence): ErrorGroupsState => {
  const previous = LruMap.get(state.groups, o.fingerprint)
  const { capped, users } = withUser(
    previous?.users ?? new Set(),
    previous?.usersCapped ?? false,
    o.userId,
    state.maxUsersPerGroup
  )
  const group: GroupState = previous === undefined
    ? {
      fingerprint: o.fingerprint,
      type: o.type,
      message: o.message,
      category: o.category,
      severity: o.severity,
      count: 1,
      firstSeen: o.at,
      lastSeen: o.at,
      users,
      usersCapped: capped,
      attempts: 0,
      successes: 0
    }
    : {
      ...previous,
      message: o.message,
      category: o.category,
      severity: worseSeverity(previous.severity, o.severity),
      count: previous.count + 1,
      lastSeen: Math.max(previous.lastSeen, o.at),
      users,
      usersCapped: capped
    }
  return {
    ...state,
    groups: LruMap.set(state.groups, o.fingerprint, group),
    errors: LruMap.set(state.errors, o.errorId, { fingerprint: o.fingerprint, attempts: 0, successes: 0 })
  }
}

/** Recovery statistics from counts. */
export const recoveryStats = (attempts: number, successes: number): RecoveryStats => ({
  attempts,
  successes,
  recoveryRate: attempts === 0 ? null : successes / attempts
})

/** Recovery of one error (when the key is a known error id) and of its group. */
export interface RecoveryReport {
  readonly fingerprint: string
  readonly errorId?: string
  readonly error?: RecoveryStats
  readonly group: RecoveryStats
}

/** The recovery report for an error id or, failing that, a fingerprint; `undefined` when neither is known. */
export const recoveryOf = (state: ErrorGroupsState, key: string): RecoveryReport | undefined => {
  const error = LruMap.get(state.errors, key)
  const fingerprint = error?.fingerprint ?? key
  const group = LruMap.get(state.groups, fingerprint)
  if (error === undefined && group === undefined) return undefined
  const groupStats = group === undefined ? recoveryStats(0, 0) : recoveryStats(group.attempts, group.successes)
  return error === undefined
    ? { fingerprint, group: groupStats }
    : { fingerprint, errorId: key, error: recoveryStats(error.attempts, error.successes), group: groupStats }
}

/** Counts a recovery attempt against an error id (and its group) or a fingerprint. */
export const recordRecovery = (
  state: ErrorGroupsState,
  key: string,
  succeeded: boolean
): readonly [RecoveryReport | undefined, ErrorGroupsState] => {
  const error = LruMap.get(state.errors, key)
  const fingerprint = error?.fingerprint ?? key
  if (error === undefined && LruMap.get(state.groups, fingerprint) === undefined) return [undefined, state]
  const add = succeeded ? 1 : 0
  const next: ErrorGroupsState = {
    ...state,
    errors: error === undefined
      ? state.errors
      : LruMap.replace(state.errors, key, (e) => ({ ...e, attempts: e.attempts + 1, successes: e.successes + add })),
    groups: LruMap.replace(state.groups, fingerprint, (g) => ({
      ...g,
      attempts: g.attempts + 1,
      successes: g.successes + add
    }))
  }
  return [recoveryOf(next, key), next]
}

/** A group as users see it. */
export const toErrorGroup = (g: GroupState): ErrorGroup => ({
  fingerprint: g.fingerprint,
  type: g.type,
  message: g.message,
  category: g.category,
  severity: g.severity,
  count: g.count,
  firstSeen: g.firstSeen,
  lastSeen: g.lastSeen,
  affectedUsers: g.users.size,
  affectedUsersCapped: g.usersCapped,
  recovery: recoveryStats(g.attempts, g.successes)
})
