/**
 * The dashboard's sections, each a chart with the table of its numbers: collector accounting, events per
 * second, performance, errors, usage and health. Rendered from a `Snapshot`, the same for the live page
 * and the static report.
 */
import type { ErrorGroupView, Snapshot } from "../Snapshot.js"
import { bars, figure, timeSeries } from "./charts.js"
import { formatNumber, formatPercent, formatTime, h, numberCell, table, textCell } from "./dom.js"
import { offlinePeriods, section, seriesOver, type View } from "./layout.js"
import { performance } from "./performance.js"

const statusValue = { UNKNOWN: 0, UNHEALTHY: 1, DEGRADED: 2, HEALTHY: 3 } as const

/** One stat in the header strip, its exact value in `data-value`. */
const stat = (key: string, label: string, value: number | string, exact?: number) =>
  h("div", { class: "stat", "data-stat": key, "data-value": exact ?? (typeof value === "number" ? value : undefined) },
    h("span", { class: "stat-value" }, typeof value === "number" ? formatNumber(value) : value),
    h("span", { class: "stat-label" }, label))

const overview = (s: Snapshot, report: boolean): View => {
  const c = s.collector
  const input = s.input
  const strip = h(
    "div",
    { class: "stats" },
    c === undefined ? null : stat("tracked", "events tracked", c.tracked),
    c === undefined ? null : stat("sent", "sent", c.sent),
    c === undefined ? null : stat("dropped", "dropped", c.dropped.total),
    c === undefined ? null : stat("offline", "receiver", c.offline ? "offline" : "online"),
    s.events === undefined ? null : stat("events", "events", s.events.total),
    input === undefined ? null : stat("malformed", "malformed lines skipped", input.malformed),
    stat("metrics", "metrics", s.metrics.length),
    stat("error-groups", "error groups", s.errors.groupCount),
    stat("health", "health", s.health.status)
  )
  const about = input === undefined
    ? h("p", { class: "about" }, report ? `Report of the process as it was at ${formatTime(s.generatedAt)}` : `Live from this process · updated ${formatTime(s.generatedAt)}`)
    : h(
      "p",
      { class: "about" },
      `From ${input.file}: ${formatNumber(input.bytes)} bytes, ${formatNumber(input.lines)} lines, ${formatNumber(input.events)} events`,
      input.malformed > 0
        ? ` · ${formatNumber(input.malformed)} malformed lines skipped (${Object.entries(input.malformedByReason).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(", ")})`
        : "",
      ` · ${formatTime(input.firstTimestamp)} to ${formatTime(input.lastTimestamp)} · report made ${formatTime(s.generatedAt)}`
    )
  return { element: h("header", { class: "overview" }, h("h1", {}, s.title), about, strip), draw: [] }
}

const collector = (s: Snapshot): View | undefined => {
  const c = s.collector
  if (c === undefined) return undefined
  const history = s.history
  const chart = figure(
    "accounting",
    "Collector accounting over time (cumulative events)",
    history.length === 0 ? null : "plot",
    table("Where every event went", ["What", "Events"], [
      ...(["tracked", "accepted", "sent", "buffered", "outboxed", "sampledOut", "disabled", "invalid", "restored", "batches"] as const).map((k) => ({
        key: k,
        cells: [textCell(k), numberCell(c[k])]
      })),
      ...Object.entries(c.dropped).map(([k, n]) => ({ key: `dropped.${k}`, cells: [textCell(`dropped: ${k}`), numberCell(n)] })),
      {
        key: "offline",
        cells: [textCell("offline samples"), numberCell(history.filter((p) => p.offline === true).length)]
      }
    ], "accounting")
  )
  const plot = chart.querySelector<HTMLElement>(".plot")!
  const periods = offlinePeriods(history)
  const outages = table(
    "Offline periods: the receiver considered down (batches kept in the outbox)",
    ["From", "To", "Seconds"],
    periods.map((p) => ({
      key: String(p.from),
      cells: [textCell(formatTime(p.from)), textCell(p.ongoing ? "still offline" : formatTime(p.to)), numberCell((p.to - p.from) / 1000)]
    })),
    "offline"
  )
  return {
    element: section("collector", "Collector", chart, outages),
    draw: history.length === 0 ? [] : [() => timeSeries("accounting", plot, history.map((p) => p.t), seriesOver(history, (p) => p.accounting))]
  }
}

const rates = (s: Snapshot): View => {
  const history = s.history
  const latest = history[history.length - 1]?.rates ?? {}
  const live = s.collector?.acceptedByKind
  const rows = s.events === undefined
    ? Object.entries(latest).map(([k, n]) => ({
      key: k,
      cells: [textCell(k), numberCell(n), numberCell(live?.[k as keyof typeof live] ?? 0)]
    }))
    : Object.entries(s.events.byKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ key: k, cells: [textCell(k), numberCell(n)] }))
  const chart = figure(
    "rates",
    "Events per second, by kind",
    history.length === 0 ? null : "plot",
    s.events === undefined
      ? table("Events by kind: per second over the last interval, and accepted so far", ["Kind", "Per second", "Accepted"], rows, "rates")
      : table("Events by kind", ["Kind", "Events"], rows, "rates")
  )
  const plot = chart.querySelector<HTMLElement>(".plot")!
  const types = s.events === undefined
    ? null
    : table("Events by type", ["Type", "Events"], s.events.byType.slice(0, 30).map((t) => ({ key: t.type, cells: [textCell(t.type), numberCell(t.count)] })), "types")
  return {
    element: section("events", "Events", chart, types),
    draw: history.length === 0 ? [] : [() => timeSeries("rates", plot, history.map((p) => p.t), seriesOver(history, (p) => p.rates), { yLabel: "events/s" })]
  }
}

const sample = (group: ErrorGroupView) => {
  const x = group.sample
  if (x === undefined) return null
  return h(
    "details",
    { "data-fingerprint": group.fingerprint },
    h("summary", {}, `Latest: ${x.type}: ${x.message}`),
    h("dl", {},
      h("dt", {}, "error id"), h("dd", {}, x.errorId),
      h("dt", {}, "when"), h("dd", {}, formatTime(x.timestamp)),
      h("dt", {}, "kind / mechanism"), h("dd", {}, `${x.kind} / ${x.mechanism}${x.handled ? "" : " (unhandled)"}`),
      h("dt", {}, "user"), h("dd", {}, x.userId ?? "–"),
      h("dt", {}, "breadcrumbs"), h("dd", {}, String(x.breadcrumbs))),
    x.frames === undefined || x.frames.length === 0 ? null : h("div", {}, h("h4", {}, "In-app frames"),
      h("ol", { class: "frames" }, x.frames.map((f) => h("li", {}, h("code", {}, `${f.function ?? "<anonymous>"} ${f.file ?? ""}${f.line === undefined ? "" : `:${f.line}`}${f.column === undefined ? "" : `:${f.column}`}`))))),
    x.breadcrumbList === undefined || x.breadcrumbList.length === 0 ? null : h("div", {}, h("h4", {}, "Breadcrumbs"),
      h("ol", { class: "crumbs" }, x.breadcrumbList.map((b) => h("li", {}, `${formatTime(b.timestamp)} [${b.level}] ${b.category}: ${b.message}`))))
  )
}

const errors = (s: Snapshot): View => {
  const groups = s.errors.groups
  const chart = figure(
    "errors",
    "Error groups by occurrences",
    groups.length === 0 ? null : bars(groups.slice(0, 12).map((g) => ({ label: `${g.type}: ${g.message}`, values: [g.count, g.affectedUsers] })), ["occurrences", "users"]),
    table(`Error groups (${s.errors.groupCount} held, ${s.errors.captured} errors captured)`, ["Type", "Count", "Users", "Recovery"], groups.map((g) => ({
      key: g.fingerprint,
      cells: [textCell(`${g.type} · ${g.category} · ${g.severity}`), numberCell(g.count), numberCell(g.affectedUsers), numberCell(g.recovery.recoveryRate, formatPercent)]
    })), "errors")
  )
  const details = groups.length === 0 ? null : h(
    "div",
    { class: "groups" },
    table("Each group", ["Fingerprint", "Message", "First seen", "Last seen"], groups.map((g) => ({
      key: g.fingerprint,
      cells: [textCell(g.fingerprint), textCell(g.message), textCell(formatTime(g.firstSeen)), textCell(formatTime(g.lastSeen))]
    })), "error-groups"),
    groups.map(sample)
  )
  const crumbs = s.errors.breadcrumbs === undefined || s.errors.breadcrumbs.length === 0 ? null : h("details", {},
    h("summary", {}, `Breadcrumbs now (${s.errors.breadcrumbs.length})`),
    h("ol", { class: "crumbs" }, s.errors.breadcrumbs.map((b) => h("li", {}, `${formatTime(b.timestamp)} [${b.level}] ${b.category}: ${b.message}`))))
  return { element: section("errors-section", "Errors", chart, details, crumbs), draw: [] }
}

const usage = (s: Snapshot): View => {
  const u = s.usage
  const features = figure(
    "features",
    "Feature adoption",
    u.features.length === 0 ? null : bars(u.features.slice(0, 15).map((f) => ({ label: f.feature, values: [f.adoptionRate * 100] })), ["adoption %"]),
    table(`Features (${formatNumber(u.totalUsers)} users)`, ["Feature", "Uses", "Users", "Adoption"], u.features.map((f) => ({
      key: f.feature,
      cells: [textCell(f.feature), numberCell(f.uses), numberCell(f.totalUsers), numberCell(f.adoptionRate, formatPercent)]
    })), "features")
  )
  const providers = figure(
    "providers",
    "Provider requests",
    u.providers.length === 0 ? null : bars(u.providers.map((p) => ({ label: `${p.provider}/${p.model}`, values: [p.successes, p.failures] })), ["succeeded", "failed"]),
    table("Providers and models", ["Provider", "Requests", "Success", "Avg (ms)", "p95 (ms)", "Tokens"], u.providers.map((p) => ({
      key: `${p.provider}/${p.model}`,
      cells: [textCell(`${p.provider}/${p.model}`), numberCell(p.requests), numberCell(p.successRate, formatPercent), numberCell(p.averageResponseMs), numberCell(p.p95ResponseMs), numberCell(p.totalTokens)]
    })), "providers")
  )
  const c = u.conversations
  const conversations = table("Conversations", ["What", "Value"], [
    { key: "started", cells: [textCell("started"), numberCell(c.started)] },
    { key: "completed", cells: [textCell("completed"), numberCell(c.completed)] },
    { key: "abandoned", cells: [textCell("abandoned"), numberCell(c.abandoned)] },
    { key: "open", cells: [textCell("open"), numberCell(c.open)] },
    { key: "completionRate", cells: [textCell("completion rate"), numberCell(c.completionRate, formatPercent)] },
    { key: "averageLength", cells: [textCell("messages per conversation"), numberCell(c.averageLength)] },
    { key: "averageDurationMs", cells: [textCell("average duration (ms)"), numberCell(c.averageDurationMs)] }
  ], "conversations")
  const g = u.suggestions
  const suggestions = table("Suggestions", ["What", "Value"], [
    { key: "shown", cells: [textCell("shown"), numberCell(g.shown)] },
    { key: "accepted", cells: [textCell("accepted"), numberCell(g.accepted)] },
    { key: "dismissed", cells: [textCell("dismissed"), numberCell(g.dismissed)] },
    { key: "acceptanceRate", cells: [textCell("acceptance rate"), numberCell(g.acceptanceRate, formatPercent)] }
  ], "suggestions")
  return { element: section("usage", "Usage", features, providers, h("div", { class: "tables" }, conversations, suggestions)), draw: [] }
}

const health = (s: Snapshot): View => {
  const history = s.history
  const names = [...new Set(history.flatMap((p) => Object.keys(p.health)))]
  const chart = figure(
    "health",
    "Health status over time (3 healthy · 2 degraded · 1 unhealthy · 0 unknown)",
    names.length === 0 ? null : "plot",
    table(`Services (overall ${s.health.status})`, ["Service", "Status", "Success", "Latency (ms)", "Checks"], s.health.services.map((x) => ({
      key: x.name,
      cells: [
        textCell(`${x.name}${x.critical ? "" : " (non-critical)"}${x.dependencies.length === 0 ? "" : ` → ${x.dependencies.join(", ")}`}`),
        textCell(`${x.status} — ${x.reason}${x.lastError === null ? "" : ` (${x.lastError})`}`),
        numberCell(x.successRate, formatPercent),
        numberCell(x.lastLatencyMs),
        numberCell(x.checks)
      ]
    })), "health")
  )
  const plot = chart.querySelector<HTMLElement>(".plot")!
  return {
    element: section("health-section", "Health", chart),
    draw: names.length === 0 ? [] : [() =>
      timeSeries("health", plot, history.map((p) => p.t), names.map((name) => ({
        label: name,
        values: history.map((p) => (p.health[name] === undefined ? null : statusValue[p.health[name]!]))
      })), { stepped: true })]
  }
}

/** Every section of the page, in order; `report` when the snapshot is embedded in a file rather than polled. */
export const views = (s: Snapshot, report: boolean): ReadonlyArray<View> =>
  [overview(s, report), collector(s), rates(s), performance(s), errors(s), usage(s), health(s)].filter((v): v is View => v !== undefined)
