/**
 * The dashboard's HTML shell: one page whose script and styles are either linked (the live dashboard) or
 * inline (the static report); the views are drawn into `#dashboard` by the page script.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PageAssets from "./PageAssets.js"
import type { Snapshot } from "./Snapshot.js"

/** Text escaped for HTML. */
export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** The page around the given head and body parts; `refreshMs` tells the script to poll. */
export const page = (parts: { readonly title: string; readonly head: string; readonly body: string; readonly refreshMs?: number }) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)}</title>
<link rel="icon" href="data:,">
${parts.head}
</head>
<body${parts.refreshMs === undefined ? "" : ` data-refresh="${parts.refreshMs}"`}>
<main id="dashboard"><p>Loading…</p></main>
${parts.body}
</body>
</html>
`

/** One self-contained HTML file of a snapshot: script, styles and data inline, a policy forbidding any request. */
export const report = (snapshot: Snapshot): Effect.Effect<string> =>
  Effect.map(PageAssets.assets, (assets) =>
    page({
      title: snapshot.title,
      head: [
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
        `<style>${PageAssets.inlineSafe(assets.style)}</style>`
      ].join("\n"),
      body: [
        `<script type="application/json" id="snapshot">${JSON.stringify(snapshot).replace(/</g, "\\u003c")}</script>`,
        `<script>${PageAssets.inlineSafe(assets.script)}</script>`
      ].join("\n")
    }))
