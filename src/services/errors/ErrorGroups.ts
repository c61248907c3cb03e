/**
 * The error groups and recently captured errors, as one immutable state updated atomically in a `Ref`:
 * occurrences per group (count, first/last seen, worst severity, distinct users, latest samples), the
 * captured errors by id (for `getError` and recovery), recovery attempts per error and per group, and
 * totals by severity and category. Every part is bounded (see `LruMap`).
 */
import type {
  ErrorCategory,
  ErrorGroup,
  ErrorRecord,
  ErrorSample,
  RecoveryStats,
  Severity,
  StackFrame
} from "../../schemas/ErrorEvents.js"
import { worseSeverity } from "./Classification.js"
import { hash64 } from "./Fingerprint.js"
import * as LruMap from "../../internal/LruMap.js"

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
  /** The latest occurrences, newest first, at most `maxSamplesPerGroup`. */
  readonly samples: ReadonlyArray<ErrorSample>
  /** The latest occurrence's first in-app frames, at most `maxInAppFrames`; empty when it had none. */
  readonly frames: ReadonlyArray<StackFrame>
}

/** What is kept per captured error: the occurrence (shared with its group's samples) and its recovery. */
export interface TrackedError {
  readonly sample: ErrorSample
  readonly attempts: number
  readonly successes: number
}

/** Errors grouped per severity, each severity present. */
export type SeverityTotals = { readonly [S in Severity]: number }
/** Errors grouped per category, each category present. */
export type CategoryTotals = { readonly [C in ErrorCategory]: number }

/** Everything ErrorTracking remembers about captured errors, with its bounds. */
export interface ErrorGroupsState {
  readonly groups: LruMap.LruMap<string, GroupState>
  readonly errors: LruMap.LruMap<string, TrackedError>
  readonly bySeverity: SeverityTotals
  readonly byCategory: CategoryTotals
  readonly maxUsersPerGroup: number
  readonly maxSamplesPerGroup: number
}

const noSeverities: SeverityTotals = { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 }
const noCategories: CategoryTotals = {
  network: 0,
  timeout: 0,
  authentication: 0,
  authorization: 0,
  rate_limit: 0,
  validation: 0,
  not_found: 0,
  api: 0,
  runtime: 0,
  interruption: 0,
  unknown: 0
}

/** Empty state with its bounds. */
export const empty = (bounds: {
  readonly maxGroups: number
  readonly maxTrackedErrors: number
  readonly maxUsersPerGroup: number
  readonly maxSamplesPerGroup: number
}): ErrorGroupsState => ({
  groups: LruMap.empty(bounds.maxGroups),
  errors: LruMap.empty(bounds.maxTrackedErrors),
  bySeverity: noSeverities,
  byCategory: noCategories,
  maxUsersPerGroup: bounds.maxUsersPerGroup,
  maxSamplesPerGroup: bounds.maxSamplesPerGroup
})

/** The same bounds, nothing recorded: what `clear` leaves. */
export const cleared = (state: ErrorGroupsState): ErrorGroupsState => ({
  groups: LruMap.empty(state.groups.capacity),
  errors: LruMap.empty(state.errors.capacity),
  bySeverity: noSeverities,
  byCategory: noCategories,
  maxUsersPerGroup: state.maxUsersPerGroup,
  maxSamplesPerGroup: state.maxSamplesPerGroup
})

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

/** `previous` with `sample` in front, cut to `max`. */
const withSample = (previous: ReadonlyArray<ErrorSample>, sample: ErrorSample, max: number): ReadonlyArray<ErrorSample> => {
  if (max === 0) return previous
  const next = [sample]
  for (let i = 0; i < previous.length && next.length < max; i++) next.push(previous[i]!)
  return next
}

/** In-app frames kept for a group's latest occurrence. */
export const maxInAppFrames = 10

const noFrames: ReadonlyArray<StackFrame> = []

/** The first `maxInAppFrames` in-app frames, copied to their location fields only. */
export const inAppFrames = (frames: ReadonlyArray<StackFrame> | undefined): ReadonlyArray<StackFrame> => {
  if (frames === undefined) return noFrames
  const kept: Array<StackFrame> = []
  for (let i = 0; i < frames.length && kept.length < maxInAppFrames; i++) {
    const f = frames[i]!
    if (!f.inApp) continue
    const frame: { -readonly [K in keyof StackFrame]: StackFrame[K] } = { inApp: true }
    if (f.function !== undefined) frame.function = f.function
    if (f.file !== undefined) frame.file = f.file
    if (f.line !== undefined) frame.line = f.line
    if (f.column !== undefined) frame.column = f.column
    kept.push(frame)
  }
  return kept.length === 0 ? noFrames : kept
}

/**
 * Records an occurrence in its group (creating it, possibly evicting the least recently seen), under its
 * id, and in the totals; its group then holds no frames (see `recordOccurrenceWithFrames`).
 */
export const recordOccurrence = (state: ErrorGroupsState, o: ErrorSample): ErrorGroupsState =>
  recordOccurrenceWithFrames(state, o, undefined)

/**
 * `recordOccurrence`, the group keeping the first `maxInAppFrames` in-app `frames` of this, its latest,
 * occurrence (the parsed, redacted frames its `error.captured` event carries).
 */
export const recordOccurrenceWithFrames = (
  state: ErrorGroupsState,
  o: ErrorSample,
  frames: ReadonlyArray<StackFrame> | undefined
): ErrorGroupsState => {
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
      firstSeen: o.timestamp,
      lastSeen: o.timestamp,
      users,
      usersCapped: capped,
      attempts: 0,
      successes: 0,
      samples: withSample([], o, state.maxSamplesPerGroup),
      frames: inAppFrames(frames)
    }
    : {
      // Field by field, not `...previous`: the spread measured over half of an occurrence's recording.
      fingerprint: previous.fingerprint,
      type: previous.type,
      message: o.message,
      category: o.category,
      severity: worseSeverity(previous.severity, o.severity),
      count: previous.count + 1,
      firstSeen: previous.firstSeen,
      lastSeen: Math.max(previous.lastSeen, o.timestamp),
      users,
      usersCapped: capped,
      attempts: previous.attempts,
      successes: previous.successes,
      samples: withSample(previous.samples, o, state.maxSamplesPerGroup),
      frames: inAppFrames(frames)
    }
  // Copied, then bumped: small objects, and a computed key in a literal measured slower.
  const bySeverity = { ...state.bySeverity }
  bySeverity[o.severity]++
  const byCategory = { ...state.byCategory }
  byCategory[o.category]++
  return {
    groups: LruMap.set(state.groups, o.fingerprint, group),
    errors: LruMap.set(state.errors, o.errorId, { sample: o, attempts: 0, successes: 0 }),
    bySeverity,
    byCategory,
    maxUsersPerGroup: state.maxUsersPerGroup,
    maxSamplesPerGroup: state.maxSamplesPerGroup
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
  const fingerprint = error?.sample.fingerprint ?? key
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
  const fingerprint = error?.sample.fingerprint ?? key
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

/**
 * What a group says of itself, samples aside: from the service's state, or from any other tally of the same
 * facts (the dashboard's report of an event file).
 */
export const groupSummary = (g: Omit<GroupState, "samples" | "frames">): Omit<ErrorGroup, "samples" | "frames"> => ({
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

/** A group as users see it. */
export const toErrorGroup = (g: GroupState): ErrorGroup =>
  g.frames.length === 0
    ? { ...groupSummary(g), samples: g.samples }
    : { ...groupSummary(g), samples: g.samples, frames: g.frames }

/** A captured error by its id, with its recovery; `undefined` when unknown (never captured, or evicted). */
export const recordOf = (state: ErrorGroupsState, errorId: string): ErrorRecord | undefined => {
  const tracked = LruMap.get(state.errors, errorId)
  return tracked === undefined ? undefined : { ...tracked.sample, recovery: recoveryStats(tracked.attempts, tracked.successes) }
}
