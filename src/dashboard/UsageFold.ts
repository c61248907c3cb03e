/**
 * `usage.*` events folded as `UsageAnalytics` would summarise them — distinct users, feature adoption,
 * conversations, providers and models, suggestions and sessions — within bounds, for the static report.
 *
 * @internal
 */
import { DistinctCounter } from "../internal/DistinctCounter.js"
import { QuantileSketch } from "../internal/QuantileSketch.js"
import type { TelemetryEvent } from "../schemas/TelemetryEvent.js"
import type { FeatureStats, ProviderStats, SuggestionStats } from "../schemas/UsageEvents.js"
import type { Snapshot } from "./Snapshot.js"

type Json = Record<string, unknown>
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)

/** The bounds of what is kept. */
export interface Limits {
  readonly features: number
  readonly providers: number
}

interface Provider {
  provider: string
  model: string
  requests: number
  successes: number
  durations: QuantileSketch
  promptTokens: number
  completionTokens: number
  errorsByType: Record<string, number>
}

/** What the fold holds. */
const initial = () => {
  const users = new DistinctCounter()
  const features = new Map<string, { uses: number; users: DistinctCounter; actions: Record<string, number>; last: number }>()
  const conversations = {
    started: 0,
    completed: 0,
    abandoned: 0,
    messages: 0,
    messageLength: 0,
    ended: 0,
    endedMessages: 0,
    durationMs: 0,
    byRole: {} as Record<string, number>
  }
  const providers = new Map<string, Provider>()
  const suggestions = { shown: 0, accepted: 0, dismissed: 0 }
  const sessions = { started: 0, ended: 0, durationMs: 0, users: new DistinctCounter() }
  return { users, features, conversations, providers, suggestions, sessions }
}

type State = ReturnType<typeof initial>

/** The usage summary of what was folded. */
const summarise = ({ users, features, conversations, providers, suggestions, sessions }: State): Snapshot["usage"] => {
  const totalUsers = Math.round(users.estimate())
  const featureList: Array<FeatureStats> = [...features].map(([feature, f]) => {
    const featureUsers = Math.round(f.users.estimate())
    return {
      feature,
      uses: f.uses,
      totalUsers: featureUsers,
      activeUsers: featureUsers,
      adoptionRate: totalUsers === 0 ? 0 : Math.min(1, featureUsers / totalUsers),
      approximate: false,
      actions: f.actions,
      lastUsedAt: f.last
    }
  }).sort((a, b) => b.uses - a.uses)
  const providerList: Array<ProviderStats> = [...providers.values()].map((p) => ({
    provider: p.provider,
    model: p.model,
    requests: p.requests,
    successes: p.successes,
    failures: p.requests - p.successes,
    successRate: p.requests === 0 ? 0 : p.successes / p.requests,
    averageResponseMs: p.durations.count === 0 ? 0 : p.durations.mean,
    p95ResponseMs: p.durations.count === 0 ? 0 : p.durations.quantile(0.95),
    promptTokens: p.promptTokens,
    completionTokens: p.completionTokens,
    totalTokens: p.promptTokens + p.completionTokens,
    errorsByType: p.errorsByType
  }))
  const decided = suggestions.accepted + suggestions.dismissed
  const suggestionStats: SuggestionStats = {
    shown: suggestions.shown,
    accepted: suggestions.accepted,
    dismissed: suggestions.dismissed,
    ignored: 0,
    pending: Math.max(0, suggestions.shown - decided),
    acceptanceRate: suggestions.shown === 0 ? 0 : suggestions.accepted / suggestions.shown
  }
  const ended = conversations.ended
  return {
    totalUsers,
    activeUsers: totalUsers,
    features: featureList,
    conversations: {
      started: conversations.started,
      completed: conversations.completed,
      abandoned: conversations.abandoned,
      open: Math.max(0, conversations.started - ended),
      completionRate: ended === 0 ? 0 : conversations.completed / ended,
      averageLength: ended === 0 ? 0 : conversations.endedMessages / ended,
      averageMessageLength: conversations.messages === 0 ? 0 : conversations.messageLength / conversations.messages,
      averageDurationMs: ended === 0 ? 0 : conversations.durationMs / ended,
      messagesByRole: conversations.byRole
    },
    providers: providerList,
    suggestions: suggestionStats,
    sessions: {
      started: sessions.started,
      ended: sessions.ended,
      expired: 0,
      active: Math.max(0, sessions.started - sessions.ended),
      averageDurationMs: sessions.ended === 0 ? 0 : sessions.durationMs / sessions.ended,
      users: Math.round(sessions.users.estimate())
    }
  }
}

/** A fold of `usage.*` events (and the users of every event) into the usage summary. */
export const make = (limits: Limits) => {
  const state = initial()
  const { users, features, conversations, providers, suggestions, sessions } = state

  const onUsage = (event: TelemetryEvent, d: Json) => {
    if (event.userId !== undefined) users.add(event.userId)
    switch (event.type) {
      case "usage.feature": {
        const name = str(d["feature"])
        if (name === undefined) return
        let f = features.get(name)
        if (f === undefined) {
          if (features.size >= limits.features) return
          features.set(name, f = { uses: 0, users: new DistinctCounter(), actions: {}, last: 0 })
        }
        f.uses++
        const action = str(d["action"]) ?? "use"
        f.actions[action] = (f.actions[action] ?? 0) + 1
        f.last = Math.max(f.last, event.timestamp)
        const user = str(d["userId"]) ?? event.userId
        if (user !== undefined) f.users.add(user)
        return
      }
      case "usage.conversation.start":
        conversations.started++
        return
      case "usage.conversation.message": {
        conversations.messages++
        conversations.messageLength += num(d["length"]) ?? 0
        const role = str(d["role"]) ?? "user"
        conversations.byRole[role] = (conversations.byRole[role] ?? 0) + 1
        return
      }
      case "usage.conversation.end":
        conversations.ended++
        if (d["outcome"] === "abandoned") conversations.abandoned++
        else conversations.completed++
        conversations.endedMessages += num(d["messages"]) ?? 0
        conversations.durationMs += num(d["durationMs"]) ?? 0
        return
      case "usage.provider.request": {
        const provider = str(d["provider"]) ?? "unknown"
        const model = str(d["model"]) ?? "unknown"
        const key = `${provider}\u0000${model}`
        let p = providers.get(key)
        if (p === undefined) {
          if (providers.size >= limits.providers) return
          p = {
            provider,
            model,
            requests: 0,
            successes: 0,
            durations: new QuantileSketch(),
            promptTokens: 0,
            completionTokens: 0,
            errorsByType: {}
          }
          providers.set(key, p)
        }
        p.requests++
        if (d["success"] !== false) p.successes++
        else {
          const type = str(d["errorType"]) ?? "unknown"
          p.errorsByType[type] = (p.errorsByType[type] ?? 0) + 1
        }
        const duration = num(d["durationMs"])
        if (duration !== undefined) p.durations.add(duration)
        p.promptTokens += num(d["promptTokens"]) ?? 0
        p.completionTokens += num(d["completionTokens"]) ?? 0
        return
      }
      case "usage.suggestion.shown":
        suggestions.shown++
        return
      case "usage.suggestion.accepted":
        suggestions.accepted++
        return
      case "usage.suggestion.dismissed":
        suggestions.dismissed++
        return
      case "usage.session.start":
        sessions.started++
        if (event.userId !== undefined) sessions.users.add(event.userId)
        return
      case "usage.session.end":
        sessions.ended++
        sessions.durationMs += num(d["durationMs"]) ?? 0
        return
    }
  }

  return { add: onUsage, addUser: (userId: string) => void users.add(userId), view: () => summarise(state) }
}
