/**
 * The page's charts: time series drawn by uPlot on a canvas, and bar charts as inline SVG. Every chart sits
 * in a `<figure data-chart="…">` beside the table of its numbers; the chart itself is `aria-hidden`, the
 * table is what screen readers and copy-paste use.
 */
import uPlot from "uplot"
import { h } from "./dom.js"

const palette = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"]

/** One time series: its label and its values, aligned with the x values. */
export interface Series {
  readonly label: string
  readonly values: ReadonlyArray<number | null>
}

interface Plot {
  readonly plot: uPlot
  readonly key: string
}

/** uPlot instances by chart id, kept across refreshes so a refresh only hands them new data. */
const plots = new Map<string, Plot>()

const widthOf = (element: HTMLElement) => Math.max(280, Math.floor(element.getBoundingClientRect().width || 560))

/** A time-series chart (x in epoch milliseconds) in `container`, reusing the chart of the same id. */
export const timeSeries = (
  id: string,
  container: HTMLElement,
  x: ReadonlyArray<number>,
  series: ReadonlyArray<Series>,
  options: { readonly yLabel?: string; readonly stepped?: boolean; readonly height?: number } = {}
): void => {
  const key = series.map((s) => s.label).join("\u0000")
  const data = [x.map((t) => t / 1000), ...series.map((s) => [...s.values])] as unknown as uPlot.AlignedData
  const existing = plots.get(id)
  if (existing !== undefined && existing.key === key && document.body.contains(existing.plot.root)) {
    container.append(existing.plot.root)
    existing.plot.setData(data)
    return
  }
  existing?.plot.destroy()
  const plot = new uPlot(
    {
      width: widthOf(container),
      height: options.height ?? 220,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { label: options.yLabel ?? "", size: 60 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: palette[i % palette.length]!,
          width: 2,
          points: { show: x.length < 3 },
          ...(options.stepped === true ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {})
        }))
      ]
    },
    data,
    container
  )
  plots.set(id, { plot, key })
}

/** Forgets the uPlot instances whose figures left the page. */
export const prune = (): void => {
  for (const [id, { plot }] of plots) {
    if (!document.body.contains(plot.root)) {
      plot.destroy()
      plots.delete(id)
    }
  }
}

/** One group of bars: a label and a value per series. */
export interface BarGroup {
  readonly label: string
  readonly values: ReadonlyArray<number>
}

const svg = <K extends keyof SVGElementTagNameMap>(tag: K, attributes: Readonly<Record<string, string | number>>) => {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  return element
}

/** A horizontal bar chart as SVG: one row per group, one bar per series, scaled to the largest value. */
export const bars = (groups: ReadonlyArray<BarGroup>, seriesLabels: ReadonlyArray<string>): Element => {
  const rowHeight = 8 + 12 * seriesLabels.length
  const labelWidth = 180
  const width = 560
  const height = 24 + groups.length * rowHeight
  const max = Math.max(1e-9, ...groups.flatMap((g) => g.values))
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-hidden": "true" })
  seriesLabels.forEach((label, i) => {
    root.append(svg("rect", { x: labelWidth + i * 110, y: 4, width: 10, height: 10, fill: palette[i % palette.length]! }))
    const text = svg("text", { x: labelWidth + i * 110 + 14, y: 13, "font-size": 11 })
    text.textContent = label
    root.append(text)
  })
  groups.forEach((group, row) => {
    const top = 24 + row * rowHeight
    const name = svg("text", { x: labelWidth - 6, y: top + rowHeight / 2 + 3, "font-size": 11, "text-anchor": "end" })
    name.textContent = group.label.length > 28 ? `${group.label.slice(0, 27)}…` : group.label
    root.append(name)
    group.values.forEach((value, i) => {
      const w = Math.max(value > 0 ? 1 : 0, ((width - labelWidth - 10) * value) / max)
      root.append(svg("rect", { class: "bar", x: labelWidth, y: top + 4 + i * 12, width: w, height: 10, fill: palette[i % palette.length]! }))
    })
  })
  return root
}

/**
 * A figure: the chart beside its table. `chart` is an SVG, `"plot"` for a time series drawn into the
 * figure's `.plot` once it is in the page, or `null` when there is nothing to draw (`data-empty`).
 */
export const figure = (id: string, title: string, chart: Element | "plot" | null, tableElement: HTMLElement): HTMLElement => {
  const plot = h("div", { class: "plot", "aria-hidden": "true" })
  if (chart === null) plot.append(h("p", { class: "empty" }, "nothing to draw yet"))
  else if (chart !== "plot") plot.append(chart)
  return h(
    "figure",
    { class: "chart", "data-chart": id, "data-empty": chart === null },
    h("figcaption", {}, title),
    h("div", { class: "pair" }, plot, h("div", { class: "numbers" }, tableElement))
  )
}
