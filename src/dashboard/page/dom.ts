/**
 * The page's small DOM kit: elements built with text nodes only (never `innerHTML`, so an error message or
 * an event type from the data can never become markup), and numbers formatted for people while the exact
 * value stays in `data-value` for copying and for the tests.
 */

type Child = Node | string | number | null | undefined | false
type Attributes = Readonly<Record<string, string | number | boolean | undefined>>

/** An element with attributes and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: ReadonlyArray<Child | ReadonlyArray<Child>>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    element.setAttribute(name, value === true ? "" : String(value))
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === "number" ? String(child) : child)
  }
  return element
}

/** A number as people read it: thousands separated, at most 3 decimals, and at most 4 significant digits past the point. */
export const formatNumber = (n: number | null | undefined): string => {
  if (n === null || n === undefined || Number.isNaN(n)) return "–"
  if (Number.isInteger(n)) return n.toLocaleString("en-US")
  const digits = Math.abs(n) >= 100 ? 1 : Math.abs(n) >= 1 ? 2 : 3
  return n.toLocaleString("en-US", { maximumFractionDigits: digits })
}

/** A share as a percentage. */
export const formatPercent = (n: number | null | undefined): string =>
  n === null || n === undefined ? "–" : `${(n * 100).toFixed(1)} %`

/** An epoch-millisecond time as ISO-8601 (UTC), to the second. */
export const formatTime = (t: number | null | undefined): string =>
  t === null || t === undefined ? "–" : new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z")

/** A table cell holding a number: formatted text, exact value in `data-value`. */
export const numberCell = (n: number | null | undefined, format: (n: number | null | undefined) => string = formatNumber) =>
  h("td", { class: "num", "data-value": n === null || n === undefined ? "" : String(n) }, format(n))

/** A table cell holding text. */
export const textCell = (text: string | null | undefined) => h("td", {}, text ?? "–")

/** A table with a caption, a header row and body rows; `key` names each row for lookups. */
export const table = (
  caption: string,
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<{ readonly key: string; readonly cells: ReadonlyArray<HTMLTableCellElement> }>,
  id?: string
) =>
  h(
    "table",
    { "data-table": id },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((header, i) => h("th", { scope: "col", "data-column": columnKey(header), class: i > 0 ? "num" : undefined }, header)))),
    h(
      "tbody",
      {},
      rows.length === 0
        ? h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, "nothing recorded yet"))
        : rows.map((row) => h("tr", { "data-row": row.key }, row.cells))
    )
  )

/** A header as a `data-column` key: `p95 (ms)` → `p95`. */
export const columnKey = (header: string): string => header.toLowerCase().replace(/\s*\(.*\)$/, "").replace(/[^a-z0-9]+/g, "-")
