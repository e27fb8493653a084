#include "server/status_page.h"

namespace sgl::server {
namespace {

constexpr const char* kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sgl serve</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; background: #fafafa; }
  h1 { font-size: 20px; margin: 0 0 .2em; }
  .sub { color: #666; margin-bottom: 1.2em; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
  .card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 12px; }
  .card .label { color: #666; font-size: 12px; }
  .card .value { font-size: 22px; font-variant-numeric: tabular-nums; }
  .bar { height: 6px; background: #eee; border-radius: 3px; margin-top: 6px; }
  .bar > div { height: 100%; background: #3a7bd5; border-radius: 3px; width: 0; }
  canvas { width: 100%; height: 120px; background: #fff; border: 1px solid #ddd; border-radius: 6px; margin-top: 14px; }
  table { border-collapse: collapse; width: 100%; margin-top: 14px; background: #fff; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; font-variant-numeric: tabular-nums; }
  th { color: #666; font-weight: 600; font-size: 12px; }
  #error { color: #b00; margin: 1em 0; }
</style>
</head>
<body>
<h1>sgl serve &mdash; <span id="model">&hellip;</span></h1>
<div class="sub">version <span id="version">?</span> &middot; backend <span id="backend">?</span> &middot; up <span id="uptime">?</span></div>
<div id="error"></div>
<form id="key-form" hidden>API key: <input id="key" type="password" autocomplete="off"> <button>Use</button></form>
<div class="cards">
  <div class="card"><div class="label">KV cache in use</div><div class="value" id="kv">&ndash;</div><div class="bar"><div id="kv-bar"></div></div></div>
  <div class="card"><div class="label">running requests</div><div class="value" id="running">&ndash;</div></div>
  <div class="card"><div class="label">queued requests</div><div class="value" id="queued">&ndash;</div></div>
  <div class="card"><div class="label">prefix-cache hit rate</div><div class="value" id="hit-rate">&ndash;</div></div>
  <div class="card"><div class="label">tokens/s (last second)</div><div class="value" id="tps">&ndash;</div></div>
  <div class="card"><div class="label">requests served</div><div class="value" id="requests-total">&ndash;</div></div>
</div>
<canvas id="chart" width="1000" height="120"></canvas>
<table>
  <thead><tr><th>request id</th><th>route</th><th>state</th><th>prompt</th><th>cached</th><th>output</th><th>latency</th></tr></thead>
  <tbody id="recent"></tbody>
</table>
<script>
"use strict";
const KEY = "sgl-api-key";
function headers() {
  const key = sessionStorage.getItem(KEY);
  return key ? {"Authorization": "Bearer " + key} : {};
}
function set(id, text) { document.getElementById(id).textContent = text; }
function duration(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + Math.floor(s % 60) + "s";
}
function drawChart(rates) {
  const c = document.getElementById("chart"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  if (!rates.length) return;
  const max = Math.max(1, ...rates), step = c.width / Math.max(rates.length - 1, 1);
  g.strokeStyle = "#3a7bd5"; g.lineWidth = 2; g.beginPath();
  rates.forEach((r, i) => { const x = i * step, y = c.height - 4 - (c.height - 8) * r / max; i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke();
  g.fillStyle = "#666"; g.font = "12px system-ui"; g.fillText("max " + max + " tok/s, last " + rates.length + " s", 8, 14);
}
function render(s) {
  set("model", s.model); set("version", s.version); set("backend", s.backend); set("uptime", duration(s.uptime_s));
  set("kv", s.kv_used_tokens + " / " + s.kv_capacity_tokens);
  document.getElementById("kv-bar").style.width = (100 * s.kv_usage).toFixed(1) + "%";
  set("running", s.running); set("queued", s.queued);
  set("hit-rate", (100 * s.cache_hit_rate).toFixed(1) + "%");
  const rates = s.tokens_per_second;
  set("tps", rates.length ? rates[rates.length - 1] : 0);
  set("requests-total", s.requests_total);
  drawChart(rates);
  const body = document.getElementById("recent");
  body.replaceChildren(...s.recent.map(r => {
    const tr = document.createElement("tr");
    for (const v of [r.id, r.route, r.state, r.prompt_tokens, r.cached_tokens, r.output_tokens, r.latency_s.toFixed(2) + " s"]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    return tr;
  }));
}
document.getElementById("key-form").addEventListener("submit", e => {
  e.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("key").value);
  refresh();
});
async function refresh() {
  try {
    const r = await fetch("/server_status", {headers: headers()});
    const form = document.getElementById("key-form");
    form.hidden = r.status !== 401;
    if (r.status === 401) {
      set("error", "This server needs its API key.");
      return;
    }
    set("error", "");
    render(await r.json());
  } catch (e) {
    set("error", "The server does not answer: " + e);
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
)HTML";

}  // namespace

void HandleStatusPage(ApiContext&, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  exchange->Reply(200, "text/html; charset=utf-8", kPage);
}

void HandleServerStatus(ApiContext& ctx, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  const ModelInfo info = ctx.engine.Info();
  const EngineStats s = ctx.engine.Stats();
  Json out = ctx.activity.Snapshot();
  out["model"] = ctx.args.ModelName();
  out["model_path"] = info.path;
  out["version"] = SGL_VERSION;
  out["backend"] = info.backend;
  out["uptime_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started).count();
  out["kv_capacity_tokens"] = s.kv_capacity_tokens;
  out["kv_used_tokens"] = s.kv_used_tokens;
  out["kv_usage"] = s.kv_capacity_tokens > 0 ? static_cast<double>(s.kv_used_tokens) / s.kv_capacity_tokens : 0.0;
  out["running"] = s.num_running;
  out["queued"] = s.num_waiting;
  out["cache_hit_rate"] = s.prompt_tokens > 0 ? static_cast<double>(s.cached_prompt_tokens) / s.prompt_tokens : 0.0;
  ReplyJson(*exchange, 200, out);
}

}  // namespace sgl::server
