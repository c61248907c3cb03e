/**
 * The performance section: each metric's distribution now, its p50/p95/p99 over time, providers' p95 over
 * time (live), AI totals and web vitals, every chart beside the table of its numbers.
 */
import type { Snapshot } from "../Snapshot.js"
import { bars, figure, timeSeries } from "./charts.js"
import { h, numberCell, table, textCell } from "./dom.js"
import { section, seriesOver, type View } from "./layout.js"

/**
 * p50, p95 and p99 of each metric the history holds (at most `maxHistoryMetrics`), one small time series per
 * metric, each point the samples of one interval (a gap where none were recorded); the table beside it has
 * each metric's distribution since start (the services' `percentiles`) and its latest interval's.
 */
const percentilesOverTime = (s: Snapshot): View => {
  const history = s.history
  const names = [...new Set(history.flatMap((p) => Object.keys(p.counts ?? p.metrics)))]
  const last = history[history.length - 1]
  const element = figure(
    "latency",
    "p50 / p95 / p99 over time, per metric (each point: the samples recorded during that interval)",
    names.length === 0 ? null : "plot",
    table(
      "p50 / p95 / p99 since start, and the latest interval's samples and p95",
      ["Metric", "p50", "p95", "p99", "Interval samples", "Interval p95"],
      names.map((name) => {
        const m = s.metrics.find((m) => m.name === name)
        return {
          key: name,
          cells: [
            textCell(name),
            numberCell(m?.p50),
            numberCell(m?.p95),
            numberCell(m?.p99),
            numberCell(last?.counts?.[name]),
            numberCell(last?.metrics[name]?.[1])
          ]
        }
      }),
      "latency"
    )
  )
  const plot = element.querySelector<HTMLElement>(".plot")!
  const x = history.map((p) => p.t)
  const draw = names.map((name) => {
    const holder = h("div", { class: "metric-plot", "data-metric": name }, h("h4", {}, name))
    plot.append(holder)
    return () =>
      timeSeries(`latency:${name}`, holder, x, (["p50", "p95", "p99"] as const).map((label, i) => ({
        label,
        values: history.map((p) => p.metrics[name]?.[i] ?? null)
      })), { yLabel: name.endsWith("CLS") ? "" : "ms", height: 160 })
  })
  return { element, draw }
}

/** Live: the p95 of each series with dimensions (provider/model) per interval, its latest beside it. */
const providersOverTime = (s: Snapshot): View | undefined => {
  const history = s.history
  if (!history.some((p) => p.providers !== undefined)) return undefined
  const series = seriesOver(history, (p) => p.providers)
  const element = figure(
    "provider-latency",
    "p95 per metric and provider/model over time (each point: the samples recorded during that interval)",
    series.length === 0 ? null : "plot",
    table("Latest interval p95 per metric and provider/model drawn", ["Series", "p95 (ms)"], series.map(({ label, values }) => ({
      key: label,
      cells: [textCell(label), numberCell([...values].reverse().find((v) => v !== null) ?? undefined)]
    })), "provider-latency")
  )
  const plot = element.querySelector<HTMLElement>(".plot")!
  return {
    element,
    draw: series.length === 0 ? [] : [() => timeSeries("provider-latency", plot, history.map((p) => p.t), series, { yLabel: "ms", height: 180 })]
  }
}

/** The metrics `trackAIOperation` records, one per phase. */
const aiPhases = ["ai.context_gathering", "ai.compression", "ai.api_call", "ai.total"] as const

/** The performance section. */
export const performance = (s: Snapshot): View => {
  const metricTable = table(
    "Distribution of each metric (milliseconds; CLS unitless)",
    ["Metric", "Count", "p50", "p95", "p99", "Max"],
    s.metrics.map((m) => ({
      key: m.name,
      cells: [textCell(m.name), numberCell(m.count), numberCell(m.p50), numberCell(m.p95), numberCell(m.p99), numberCell(m.max)]
    })),
    "metrics"
  )
  const distribution = figure(
    "metrics",
    "Latency percentiles per metric",
    s.metrics.length === 0 ? null : bars(s.metrics.slice(0, 20).map((m) => ({ label: m.name, values: [m.p50, m.p95, m.p99] })), ["p50", "p95", "p99"]),
    metricTable
  )
  const overTime = percentilesOverTime(s)
  const providerTime = providersOverTime(s)
  const ai = table("AI operations", ["What", "Value"], [
    { key: "operations", cells: [textCell("operations"), numberCell(s.ai.operations)] },
    { key: "failures", cells: [textCell("failures"), numberCell(s.ai.failures)] },
    { key: "totalMs", cells: [textCell("total time (ms)"), numberCell(s.ai.totalMs)] },
    { key: "promptTokens", cells: [textCell("prompt tokens"), numberCell(s.ai.promptTokens)] },
    { key: "completionTokens", cells: [textCell("completion tokens"), numberCell(s.ai.completionTokens)] }
  ], "ai")
  // The phases `trackAIOperation` times, in the order an operation goes through them.
  const phases = aiPhases.flatMap((name) => s.metrics.filter((m) => m.name === name))
  const phaseFigure = figure(
    "ai-phases",
    "AI operation phases (milliseconds)",
    phases.length === 0 ? null : bars(phases.map((m) => ({ label: m.name, values: [m.p50, m.p95, m.p99] })), ["p50", "p95", "p99"]),
    h("div", {}, table("AI operation phases", ["Phase", "Count", "p50", "p95", "p99"], phases.map((m) => ({
      key: m.name,
      cells: [textCell(m.name), numberCell(m.count), numberCell(m.p50), numberCell(m.p95), numberCell(m.p99)]
    })), "ai-phases"), ai)
  )
  const vitals = s.webVitals.length === 0 ? null : figure(
    "web-vitals",
    "Core Web Vitals (latest)",
    bars(s.webVitals.map((v) => ({ label: `${v.name} (${v.rating})`, values: [v.value] })), ["value"]),
    table("Latest web vitals", ["Vital", "Value", "Rating"], s.webVitals.map((v) => ({
      key: v.name,
      cells: [textCell(v.name), numberCell(v.value), textCell(v.rating)]
    })), "web-vitals")
  )
  return {
    element: section("performance", "Performance", distribution, overTime.element, providerTime?.element ?? null, phaseFigure, vitals),
    draw: [...overTime.draw, ...(providerTime?.draw ?? [])]
  }
}
