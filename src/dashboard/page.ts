/**
 * The live dashboard served at GET /dashboard: one self-contained page (inline CSS and JS, no external
 * resources) that polls GET /v1/metrics every 2 s and draws canvas charts of the last 5 minutes.
 * A `?key=...` in the page URL is sent as `x-api-key`. Each chart's container has a stable id and a
 * `data-points` attribute holding the number of points plotted (the most of any of its series; gaps not counted).
 */
export const DASHBOARD_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ccproxy dashboard</title>
<style>
:root { color-scheme: light dark; --bg: #f7f7f8; --card: #fff; --fg: #1d1d1f; --muted: #6b6b76; --grid: #e3e3e8;
  --ok: #1a7f37; --warn: #b7791f; --bad: #c62828; --c1: #2563eb; --c2: #d97706; --c3: #dc2626; --c4: #7c3aed; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #111114; --card: #1c1c21; --fg: #ececf1; --muted: #9a9aa6; --grid: #2e2e36;
    --ok: #3fb950; --warn: #e3b341; --bad: #f85149; --c1: #60a5fa; --c2: #fbbf24; --c3: #f87171; --c4: #a78bfa; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 1rem; padding: 1rem 1.5rem 0.5rem; flex-wrap: wrap; }
h1 { font-size: 1.25rem; margin: 0; }
#status { color: var(--muted); }
main { padding: 0.5rem 1.5rem 1.5rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 0.75rem; margin-bottom: 0.75rem; }
.tile, .chart { background: var(--card); border: 1px solid var(--grid); border-radius: 8px; padding: 0.6rem 0.8rem; }
.tile .label, .chart h2 { color: var(--muted); font-size: 0.8rem; font-weight: 500; margin: 0; }
.tile .value { font-size: 1.35rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .sub { color: var(--muted); font-size: 0.75rem; }
.ok { color: var(--ok); } .degraded { color: var(--warn); } .down { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(420px, 100%), 1fr)); gap: 0.75rem; }
.chart canvas { width: 100%; height: 180px; display: block; }
.legend { display: flex; gap: 0.8rem; font-size: 0.75rem; color: var(--muted); margin-top: 0.2rem; flex-wrap: wrap; }
.legend i { display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<header><h1>ccproxy</h1><span id="status">connecting…</span></header>
<main>
<section class="tiles">
  <div class="tile" id="tile-health"><div class="label">Health</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-breaker"><div class="label">Circuit breaker</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-limiter"><div class="label">Rate limit (effective)</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-queue"><div class="label">Limiter queue</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-inflight"><div class="label">In flight</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-requests"><div class="label">Requests (total)</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-tokens"><div class="label">Tokens in / out</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-uptime"><div class="label">Uptime</div><div class="value">–</div><div class="sub"></div></div>
  <div class="tile" id="tile-memory"><div class="label">Memory (RSS)</div><div class="value">–</div><div class="sub"></div></div>
</section>
<section class="charts">
  <div class="chart" id="chart-rps" data-points="0"><h2>Requests per second</h2><canvas></canvas><div class="legend"></div></div>
  <div class="chart" id="chart-latency" data-points="0"><h2>Latency, recent window (seconds)</h2><canvas></canvas><div class="legend"></div></div>
  <div class="chart" id="chart-tokens" data-points="0"><h2>Output tokens per second</h2><canvas></canvas><div class="legend"></div></div>
  <div class="chart" id="chart-errors" data-points="0"><h2>Error and retry rate (% of requests)</h2><canvas></canvas><div class="legend"></div></div>
</section>
</main>
<script>
(function () {
  var MAX_POINTS = 150, POLL_MS = 2000;
  var key = new URLSearchParams(location.search).get('key');
  var history = { t: [], rps: [], p50: [], p95: [], p99: [], tput: [], speed: [], err: [], retry: [] };
  var prev = null;

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function push(name, v) { var a = history[name]; a.push(v); if (a.length > MAX_POINTS) a.shift(); }
  function fmt(n, d) { return n == null || !isFinite(n) ? '–' : Number(n).toFixed(d == null ? 1 : d); }
  function compact(n) {
    if (n == null) return '–';
    if (n >= 1e9) return (n / 1e9).toFixed(1) + 'G';
    if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
    if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
    return String(Math.round(n));
  }
  function duration(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d ? d + 'd ' + h + 'h' : h ? h + 'h ' + m + 'm' : m + 'm ' + Math.floor(s % 60) + 's';
  }
  function tile(id, value, sub, cls) {
    var el = document.getElementById(id);
    var v = el.querySelector('.value');
    v.textContent = value; v.className = 'value' + (cls ? ' ' + cls : '');
    el.querySelector('.sub').textContent = sub || '';
  }

  // Axis: 4 steps of 1, 2, 2.5 or 5 x 10^k, the smallest that holds the largest value; decimals to match.
  function niceAxis(max) {
    var e = Math.floor(Math.log10(max / 4)), p = Math.pow(10, e), m = max / 4 / p;
    var k = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return { step: k * p, decimals: Math.max(0, -e - (k === 10 ? 1 : 0) + (k === 2.5 ? 1 : 0)) };
  }
  function finiteCount(values) { var c = 0; values.forEach(function (v) { if (v != null && isFinite(v)) c++; }); return c; }

  function drawChart(id, series, unit) {
    var box = document.getElementById(id), canvas = box.querySelector('canvas');
    var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    canvas.width = w * dpr; canvas.height = h * dpr;
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    var n = 0, plotted = 0, max = 0;
    series.forEach(function (s) {
      n = Math.max(n, s.values.length);
      plotted = Math.max(plotted, finiteCount(s.values));
      s.values.forEach(function (v) { if (v != null && isFinite(v)) max = Math.max(max, v); });
    });
    box.setAttribute('data-points', String(plotted));
    var axis = niceAxis(max > 0 ? max : 1), top4 = axis.step * 4;
    // The time axis spans the points held, at least one minute, at most MAX_POINTS polls.
    var span = Math.min(MAX_POINTS, Math.max(30, n));
    var left = 44, right = 8, top = 8, bottom = 18, pw = w - left - right, ph = h - top - bottom;
    g.font = '11px system-ui, sans-serif'; g.fillStyle = css('--muted'); g.strokeStyle = css('--grid'); g.lineWidth = 1;
    g.textAlign = 'right';
    for (var i = 0; i <= 4; i++) {
      var y = top + ph - ph * i / 4;
      g.beginPath(); g.moveTo(left, y); g.lineTo(w - right, y); g.stroke();
      var tick = axis.step * i;
      g.fillText(tick >= 1e6 ? +(tick / 1e6).toFixed(2) + 'M' : tick >= 1e4 ? +(tick / 1e3).toFixed(1) + 'k' : tick.toFixed(axis.decimals), left - 6, y + 4);
    }
    g.textAlign = 'left';
    g.fillText('−' + Math.round(span * POLL_MS / 60000) + ' min', left, h - 4);
    g.textAlign = 'right';
    g.fillText('now', w - right, h - 4);
    g.textAlign = 'left';
    series.forEach(function (s) {
      g.strokeStyle = css(s.color); g.lineWidth = 2; g.lineJoin = 'round'; g.lineCap = 'round'; g.beginPath();
      var started = false;
      s.values.forEach(function (v, j) {
        if (v == null || !isFinite(v)) { started = false; return; }
        var x = left + pw * (j + span - s.values.length) / (span - 1);
        var yy = top + ph - ph * Math.min(v, top4) / top4;
        if (started) g.lineTo(x, yy); else { g.moveTo(x, yy); g.lineTo(x + 0.01, yy); started = true; }
      });
      g.stroke();
    });
    var legend = box.querySelector('.legend');
    legend.innerHTML = '';
    series.forEach(function (s) {
      var item = document.createElement('span'), mark = document.createElement('i');
      mark.style.background = css(s.color);
      var last = s.values[s.values.length - 1];
      item.appendChild(mark);
      item.appendChild(document.createTextNode(s.name + ' ' + fmt(last, last != null && last < 10 ? 2 : 0) + ' ' + unit));
      legend.appendChild(item);
    });
  }

  function update(m) {
    var dt = prev ? (m.timestamp_ms - prev.timestamp_ms) / 1000 : 0;
    var dReq = prev ? m.requests.total - prev.requests.total : 0;
    var sec = function (v) { return v == null ? null : v / 1000; };
    push('t', m.timestamp_ms);
    push('rps', dt > 0 ? Math.max(0, dReq) / dt : m.recent.requests_per_second);
    var lat = m.latency_ms.total.recent;
    push('p50', sec(lat.p50)); push('p95', sec(lat.p95)); push('p99', sec(lat.p99));
    push('tput', dt > 0 ? Math.max(0, m.tokens.output_total - prev.tokens.output_total) / dt : null);
    push('speed', m.output_tokens_per_second.recent_mean);
    push('err', dReq > 0 ? 100 * (m.requests.errors_total - prev.requests.errors_total) / dReq : 0);
    push('retry', dReq > 0 ? 100 * (m.retries_total - prev.retries_total) / dReq : 0);
    prev = m;

    var hs = m.health;
    tile('tile-health', hs.score + ' / 100', hs.status, hs.status);
    var b = m.breaker, bcls = b.state === 'closed' ? 'ok' : b.state === 'open' ? 'down' : 'degraded';
    tile('tile-breaker', b.state.replace('_', '-'), b.transitions_total + ' transitions', bcls);
    var l = m.limiter;
    tile('tile-limiter', l.rpm_effective == null ? 'off' : compact(l.rpm_effective) + ' RPM',
      l.tpm_effective == null ? '' : compact(l.tpm_effective) + ' TPM · pressure ' + Math.round(100 * l.pressure) + '%');
    tile('tile-queue', String(l.queue_length), l.waits_total + ' waits' + (l.wait_ms.p95 == null ? '' : ' · p95 ' + fmt(sec(l.wait_ms.p95), 2) + ' s'),
      l.queue_length > 0 ? 'degraded' : '');
    tile('tile-inflight', String(m.requests.in_flight), fmt(m.recent.requests_per_second, 2) + ' req/s recent');
    tile('tile-requests', compact(m.requests.total), m.requests.errors_total + ' errors · ' + m.retries_total + ' retries');
    tile('tile-tokens', compact(m.tokens.input_total) + ' / ' + compact(m.tokens.output_total),
      'cache read ' + compact(m.tokens.cache_read_total) + ' · created ' + compact(m.tokens.cache_creation_total));
    tile('tile-uptime', duration(m.uptime_seconds), 'window ' + m.window_seconds + ' s');
    tile('tile-memory', fmt(m.process.rss_bytes / 1048576, 0) + ' MiB', 'heap ' + fmt(m.process.heap_used_bytes / 1048576, 0) + ' MiB');

    drawChart('chart-rps', [{ name: 'requests', color: '--c1', values: history.rps }], 'req/s');
    drawChart('chart-latency', [
      { name: 'p50', color: '--c1', values: history.p50 },
      { name: 'p95', color: '--c2', values: history.p95 },
      { name: 'p99', color: '--c3', values: history.p99 }], 's');
    drawChart('chart-tokens', [
      { name: 'throughput', color: '--c1', values: history.tput },
      { name: 'per answer', color: '--c4', values: history.speed }], 'tok/s');
    drawChart('chart-errors', [
      { name: 'errors', color: '--c3', values: history.err },
      { name: 'retries', color: '--c2', values: history.retry }], '%');
  }

  function poll() {
    var headers = key ? { 'x-api-key': key } : {};
    fetch('/v1/metrics', { headers: headers, cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (m) {
        update(m);
        document.getElementById('status').textContent = 'live · updated ' + new Date(m.timestamp_ms).toLocaleTimeString();
      })
      .catch(function (e) { document.getElementById('status').textContent = 'cannot read /v1/metrics: ' + e.message; })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
</script>
</body>
</html>
`
