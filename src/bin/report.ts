#!/usr/bin/env node
/**
 * `effect-telemetry report <events.ndjson> [-o report.html]`: the static report of a file of our events,
 * as one self-contained HTML file. The file is streamed, so memory stays flat however large it is;
 * malformed or truncated lines are skipped and counted. `--stats` also prints the time taken and the
 * process's peak resident memory.
 *
 * @internal
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Dashboard from "../dashboard/Dashboard.js"

const usage = `usage: effect-telemetry report <events.ndjson> [-o report.html] [--title <text>] [--stats]

Builds one self-contained HTML report (no network needed to open it) from an NDJSON file of
effect-telemetry events: the file transport's output, or wire-format batches one per line.`

interface Arguments {
  readonly input: string
  readonly output: string
  readonly title?: string
  readonly stats: boolean
}

const parse = (argv: ReadonlyArray<string>): Arguments | string => {
  const [command, ...rest] = argv
  if (command === "--help" || command === "-h" || command === undefined) return usage
  if (command !== "report") return `unknown command "${command}"\n\n${usage}`
  let input: string | undefined
  let output = "report.html"
  let title: string | undefined
  let stats = false
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === "-o" || arg === "--output") output = rest[++i] ?? ""
    else if (arg === "--title") title = rest[++i] ?? ""
    else if (arg === "--stats") stats = true
    else if (arg === "-h" || arg === "--help") return usage
    else if (arg.startsWith("-")) return `unknown option "${arg}"\n\n${usage}`
    else if (input === undefined) input = arg
    else return `one input file only ("${input}", then "${arg}")\n\n${usage}`
  }
  if (input === undefined) return `missing the events file\n\n${usage}`
  if (output === "") return `-o needs a file name\n\n${usage}`
  return { input, output, stats, ...(title === undefined ? {} : { title }) }
}

const program = Effect.gen(function*() {
  const args = parse(process.argv.slice(2))
  if (typeof args === "string") {
    const help = args === usage
    yield* help ? Console.log(args) : Console.error(args)
    if (!help) process.exitCode = 2
    return
  }
  const started = performance.now()
  const { html, snapshot } = yield* Dashboard.reportFromFile(args.input, args.title === undefined ? {} : { title: args.title })
  yield* Effect.promise(() => Fs.writeFile(args.output, html))
  const input = snapshot.input!
  yield* Console.log(
    `${Path.resolve(args.output)}\n  ${input.events} events from ${input.lines} lines` +
      (input.malformed > 0 ? `; ${input.malformed} malformed lines skipped` : "")
  )
  if (args.stats) {
    const seconds = (performance.now() - started) / 1000
    yield* Console.log(
      `  ${(input.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`
    )
  }
}).pipe(
  Effect.catchTag("EventFileError", (error) =>
    Effect.zipRight(
      Console.error(`effect-telemetry report: cannot read ${error.path}: ${error.message}`),
      Effect.sync(() => {
        process.exitCode = 1
      })
    ))
)

NodeRuntime.runMain(program, { disableErrorReporting: false })
