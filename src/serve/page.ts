// The served web page, generated from the run: a file input per image or audio field (with
// a preview or a player), a field per number, a list of the trained categories per
// category, a text box per text field. It shows the predicted class, every class's
// probability and each input's contribution; a second form sends a CSV (and its files) and
// offers the predictions file for download. Plain HTML and a small script, no build step.
import type { ModelInfo } from "./server.js";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function fieldHtml(f: ModelInfo["inputs"][number]["fields"][number]): string {
  const id = `field-${escapeHtml(f.column)}`;
  const label = `<label for="${id}">${escapeHtml(f.column)} <small>${f.type}</small></label>`;
  const name = escapeHtml(f.column);
  switch (f.type) {
    case "image":
      return `${label}<input type="file" id="${id}" name="${name}" accept="image/png,image/jpeg,image/gif,image/webp,image/tiff" data-preview="image"><img class="preview" alt="" hidden>`;
    case "audio":
      return `${label}<input type="file" id="${id}" name="${name}" accept="audio/*,.wav,.flac,.ogg,.mp3" data-preview="audio"><audio class="preview" controls hidden></audio>`;
    case "number":
      return `${label}<input type="number" step="any" id="${id}" name="${name}" placeholder="mean ${Number(f.mean.toPrecision(4))}">`;
    case "category":
      return `${label}<select id="${id}" name="${name}"><option value="">(missing)</option>${f.values.map((v) => `<option>${escapeHtml(v)}</option>`).join("")}</select>`;
    case "text":
      return `${label}<textarea id="${id}" name="${name}" rows="3"></textarea>`;
  }
}

export function servedPage(info: ModelInfo): string {
  const inputs = info.inputs
    .map((i) => `<fieldset><legend>${escapeHtml(i.name)} <small>${i.kind}</small></legend>${i.fields.map((f) => `<div class="field">${fieldHtml(f)}</div>`).join("")}</fieldset>`)
    .join("");
  const mediaColumns = info.inputs.flatMap((i) => i.fields.filter((f) => f.type === "image" || f.type === "audio").map((f) => f.column));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>modalfuse · ${escapeHtml(info.label)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{font-size:18px;margin:0}header p{margin:2px 0 0;color:#b8c0cf;font-size:13px}
main{display:grid;grid-template-columns:minmax(320px,1fr) minmax(320px,1fr);gap:20px;padding:20px 24px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px}h2{font-size:16px;margin:0 0 10px}
fieldset{border:1px solid #e3e6ec;border-radius:6px;margin:0 0 12px;padding:8px 12px}legend{font-weight:600}small{color:#6b7385;font-weight:400}
.field{margin:6px 0}label{display:block;font-size:13px;margin-bottom:2px}input,select,textarea{font:inherit;width:100%;box-sizing:border-box}
.preview{display:block;max-width:160px;max-height:120px;margin-top:6px;image-rendering:pixelated}audio.preview{max-width:100%}
button{font:inherit;background:#2f6fed;color:#fff;border:0;border-radius:6px;padding:8px 16px;cursor:pointer}button:disabled{opacity:.6}
.bar{display:grid;grid-template-columns:110px 1fr 64px;align-items:center;gap:8px;margin:3px 0;font-size:13px}.bar div{height:12px;background:#2f6fed;border-radius:3px}
.bar.contrib div{background:#2a9d6f}.bar span:last-child{text-align:right;font-variant-numeric:tabular-nums}
#predicted{font-size:22px;font-weight:700;margin:4px 0 10px}.error{color:#b3261e}
</style></head>
<body><header><h1>modalfuse · predicts ${escapeHtml(info.label)}</h1><p>${info.classes.length} classes · ${info.inputs.length} inputs · fusion ${escapeHtml(info.fusion)} · preset ${escapeHtml(info.preset)} · modalfuse ${escapeHtml(info.version)} (${escapeHtml(info.engine)})</p></header>
<main>
<section><h2>One row</h2>
<form id="predict">${inputs}<button type="submit" id="submit">Predict</button></form>
</section>
<section><h2>Prediction</h2><div id="result"><p>Fill in what you have (anything left empty counts as missing) and press Predict.</p></div>
<h2 style="margin-top:24px">Many rows</h2>
<form id="batch"><div class="field"><label for="batch-csv">CSV with columns ${escapeHtml(info.inputs.flatMap((i) => i.fields.map((f) => f.column)).join(", "))}</label><input type="file" id="batch-csv" name="csv" accept=".csv,text/csv" required></div>
${mediaColumns.length ? `<div class="field"><label for="batch-files">the files its ${escapeHtml(mediaColumns.join(", "))} cells name</label><input type="file" id="batch-files" name="files" multiple></div>` : ""}
<button type="submit" id="batch-submit">Predict all</button></form><div id="batch-result"></div>
</section>
</main>
<script>
const el = (tag, attrs = {}, text = "") => { const e = document.createElement(tag); Object.assign(e, attrs); if (text) e.textContent = text; return e; };
for (const input of document.querySelectorAll("input[data-preview]")) {
  input.addEventListener("change", () => {
    const preview = input.nextElementSibling; const file = input.files[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    if (file) { preview.src = URL.createObjectURL(file); preview.hidden = false; } else { preview.removeAttribute("src"); preview.hidden = true; }
  });
}
function bars(values, cls) {
  const box = el("div");
  for (const [name, v] of Object.entries(values)) {
    const row = el("div", { className: "bar " + cls }); row.dataset.name = name; row.dataset.value = String(v);
    const fill = el("div"); fill.style.width = Math.max(0, Math.min(1, Math.abs(v))) * 100 + "%";
    const track = el("span"); track.append(fill);
    row.append(el("span", {}, name), track, el("span", {}, (100 * v).toFixed(1) + "%")); box.append(row);
  }
  return box;
}
async function send(form, query) {
  const response = await fetch("/v1/predict" + query, { method: "POST", body: new FormData(form) });
  if (!response.ok) { const body = await response.json().catch(() => ({})); throw new Error(body.error || response.statusText); }
  return response;
}
document.getElementById("predict").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = document.getElementById("result"); const button = document.getElementById("submit");
  button.disabled = true;
  try {
    const { predictions: [p] } = await (await send(event.target, "?explain=1")).json();
    result.replaceChildren(el("div", { id: "predicted" }, p.prediction), el("p", {}, "confidence " + (100 * p.confidence).toFixed(1) + "%"),
      el("h3", {}, "Probabilities"), bars(p.probabilities, "prob"), el("h3", {}, "Each input's contribution"), bars(p.contributions || {}, "contrib"));
    result.dataset.state = "done";
  } catch (error) { result.replaceChildren(el("p", { className: "error" }, String(error.message))); result.dataset.state = "error"; }
  finally { button.disabled = false; }
});
document.getElementById("batch").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = document.getElementById("batch-result");
  try {
    const blob = await (await send(event.target, "?format=csv")).blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: "predictions.csv", id: "download" }, "predictions.csv (" + (blob.size / 1024).toFixed(1) + " kB)");
    out.replaceChildren(link);
  } catch (error) { out.replaceChildren(el("p", { className: "error" }, String(error.message))); }
});
</script>
</body></html>
`;
}
