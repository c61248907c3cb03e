/** Log capture for tests that assert what the library says (a warning once per outage, …). */
import { Logger, LogLevel } from "effect"

/** A logger layer recording the messages at WARN and above into `messages`. */
export const capturingWarnings = (messages: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => {
      if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) messages.push(String(message))
    })
  )
