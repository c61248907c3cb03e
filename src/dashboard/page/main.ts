/**
 * The page script: renders the snapshot embedded in the page (the static report), or polls the snapshot
 * route next to the page (the live dashboard) and renders each answer. Bundled with uPlot by esbuild
 * (`src/dashboard/bundle.ts`); it requests nothing outside its own origin.
 */
import type { Snapshot } from "../Snapshot.js"
import { prune } from "./charts.js"
import { h } from "./dom.js"
import { views } from "./views.js"

declare global {
  interface Window {
    /** How many times the page rendered a snapshot, and the last one (for tests and the curious). */
    dashboard?: { renders: number; snapshot?: Snapshot; error?: string }
  }
}

const state: NonNullable<Window["dashboard"]> = { renders: 0 }
window.dashboard = state

const root = document.getElementById("dashboard")!

const embedded = document.getElementById("snapshot")

const render = (snapshot: Snapshot) => {
  // Which sample details were open survives the refresh.
  const open = new Set([...root.querySelectorAll("details[open]")].map((d) => d.getAttribute("data-fingerprint") ?? d.textContent))
  const parts = views(snapshot, embedded !== null)
  root.replaceChildren(...parts.map((v) => v.element))
  for (const d of root.querySelectorAll("details")) {
    if (open.has(d.getAttribute("data-fingerprint") ?? d.textContent)) d.open = true
  }
  for (const v of parts) for (const draw of v.draw) draw()
  prune()
  state.snapshot = snapshot
  state.renders++
  document.body.dataset["renders"] = String(state.renders)
}

if (embedded !== null) {
  render(JSON.parse(embedded.textContent ?? "{}") as Snapshot)
} else {
  const refreshMs = Number(document.body.dataset["refresh"] ?? "1000")
  const token = new URLSearchParams(location.search).get("token")
  const status = h("p", { class: "status", role: "status" })
  document.body.prepend(status)
  // After the first answer the page asks only for the history points it does not hold yet.
  const url = () => {
    const query = new URLSearchParams()
    if (token !== null) query.set("token", token)
    const last = state.snapshot?.history.at(-1)
    if (last !== undefined) query.set("since", String(last.t))
    const text = query.toString()
    return text === "" ? "snapshot.json" : `snapshot.json?${text}`
  }
  const merged = (answer: Snapshot): Snapshot => {
    const held = state.snapshot?.history
    if (answer.historyStart === undefined || held === undefined) return answer
    const start = answer.historyStart
    return { ...answer, history: [...held.filter((p) => p.t >= start), ...answer.history] }
  }
  const poll = async () => {
    try {
      const response = await fetch(url(), { cache: "no-store" })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      render(merged(await response.json() as Snapshot))
      status.textContent = ""
      delete state.error
    } catch (error) {
      state.error = String(error)
      status.textContent = `Cannot reach the dashboard (${String(error)}); retrying.`
    }
    setTimeout(poll, refreshMs)
  }
  void poll()
}
