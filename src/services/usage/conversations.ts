/** The conversation operations of `UsageAnalytics`: start, message, end, and the metrics. */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import {
  type ConversationEnd,
  ConversationMessage,
  ConversationNotFoundError,
  ConversationOutcome,
  ConversationStart,
  type InvalidUsageError,
  UsageEventType,
  UsageId
} from "../../schemas/UsageEvents.js"
import { alreadyOpen, type UsageRecorder, usageDecoders } from "./recorder.js"

const decodeStart = usageDecoders.effect(ConversationStart)
const decodeId = usageDecoders.effect(UsageId, "conversationId")
const decodeMessage = usageDecoders.effect(ConversationMessage, "message")
const decodeOutcome = usageDecoders.effect(ConversationOutcome, "outcome")

export const makeConversations = (
  { defaultUser, newId, settled, state, track, trackConversationEnds }: UsageRecorder
) => {
  const startConversation = (input: ConversationStart = {}) =>
    Effect.gen(function*() {
      const start = yield* decodeStart(input)
      const id = start.conversationId ?? (yield* newId("conv"))
      const user = yield* defaultUser(start.userId)
      // Checked and opened in one step: two callers cannot both find the id free.
      const opened = yield* settled((now) => {
        if (state.conversations.has(id)) return Either.left(alreadyOpen("conversationId", "is already open"))
        const evicted = state.conversations.start(id, now)
        state.seeUser(user, now)
        return Either.right(evicted)
      })
      yield* trackConversationEnds(yield* opened)
      const { userId: _, ...data } = { ...start, conversationId: id }
      yield* track({ type: UsageEventType.conversationStart, data, userId: user })
      return id
    })

  const trackMessage = (conversationId: string, message: ConversationMessage) =>
    Effect.gen(function*() {
      const id = yield* decodeId(conversationId)
      const { length, role } = yield* decodeMessage(message)
      const added = yield* settled((now) => state.conversations.addMessage(id, role, length, now))
      if (!added) return yield* new ConversationNotFoundError({ conversationId: id })
      yield* track({ type: UsageEventType.conversationMessage, data: { conversationId: id, role, length } })
    })

  const endConversation = (
    conversationId: string,
    outcome: ConversationOutcome = "completed"
  ): Effect.Effect<ConversationEnd, InvalidUsageError | ConversationNotFoundError> =>
    Effect.gen(function*() {
      const id = yield* decodeId(conversationId)
      const how = yield* decodeOutcome(outcome)
      const end = yield* settled((now) => state.conversations.end(id, how, now))
      if (end === undefined) return yield* new ConversationNotFoundError({ conversationId: id })
      yield* track({ type: UsageEventType.conversationEnd, data: end })
      return end
    })

  return {
    startConversation,
    trackMessage,
    endConversation,
    conversationMetrics: settled((now) => state.conversationMetrics(now))
  }
}
