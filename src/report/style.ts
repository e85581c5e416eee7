// The report page's stylesheet, inlined into report.html so the page needs no network.
// System fonts only; layout is a single centred column of cards that prints as plain pages.
export const REPORT_CSS = `
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #2563eb; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 32px 24px 64px; }
header { margin-bottom: 8px; }
.eyebrow { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: .08em; font-size: 12px; font-weight: 600; }
h1 { margin: 4px 0 4px; font-size: 28px; line-height: 1.25; }
h1 code { font-size: .9em; }
h2 { margin: 0 0 12px; font-size: 19px; }
h3 { margin: 0 0 8px; font-size: 15px; color: var(--muted); font-weight: 600; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, "DejaVu Sans Mono", monospace; background: #eef2f7; padding: 1px 5px; border-radius: 4px; }
.classes { margin: 0 0 16px; color: var(--muted); }
nav { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 8px 0 0; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 16px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 28px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.2; }
.card.warn .value { color: #b45309; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin: 18px 0; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 24px; }
figure { margin: 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption, .note { color: var(--muted); font-size: 13px; margin-top: 8px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12.5px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; white-space: nowrap; }
tfoot td { font-weight: 600; border-top: 2px solid var(--line); border-bottom: none; }
td.path { font-family: ui-monospace, Menlo, "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-all; }
dl.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 10px 24px; margin: 0; }
dl.summary div { border-bottom: 1px solid var(--line); padding-bottom: 6px; }
dl.summary dt { color: var(--muted); font-size: 13px; }
dl.summary dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
pre { margin: 0; background: #f3f4f6; border-radius: 8px; padding: 12px 16px; overflow: auto;
  font: 13px/1.5 ui-monospace, Menlo, "DejaVu Sans Mono", monospace; white-space: pre-wrap; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 24px; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  section, .card { border: none; padding: 0; }
  section { margin: 0 0 18pt; break-inside: avoid; }
  section.long { break-inside: auto; }
  .scroll { overflow: visible; }
  h2 { break-after: avoid; }
}
`;
