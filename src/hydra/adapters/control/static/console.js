// The HYDRA console: reads the control API with the bearer token as a header, follows the
// event stream (ids, resume with Last-Event-ID, heartbeat), and tells the operator when it
// has lost contact instead of showing a dead trader as alive.
"use strict";

const api = "/api/v1";
const params = new URLSearchParams(location.search);
// Tables refresh on every event and, as a backstop, every `?poll=SECONDS` (default 2; 0 = off).
const poll = params.get("poll") === null || !(Number(params.get("poll")) >= 0) ? 2 : Number(params.get("poll"));
const STALE_HEARTBEATS = 3;      // no event for this many heartbeats: NO CONTACT
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];  // reconnect delays (plus jitter), capped
const CHART_REFRESH_MS = 10000;

let token = sessionStorage.getItem("hydra-token") || "";
let currency = "USD";
let heartbeatMs = 1000;
let lastEventAt = null;          // Date of the last event from the stream
let lastEventId = null;          // resume point (Last-Event-ID)
let stale = true;
let outlook = { level: "stale", text: "connecting…" };
let stream = null;               // AbortController of the open stream
let attempt = 0;
let chart = null;
const shown = new Set();         // decision seqs already in the table

const $ = (id) => document.getElementById(id);
const pad = (n) => String(n).padStart(2, "0");
const clock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

// ------------------------------------------------------------------ formatting
function moneyFormat(code) {
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: code, minimumFractionDigits: 2, maximumFractionDigits: 2 });
  } catch (e) {  // a code Intl does not know: plain number and the code
    const plain = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return { format: (v) => `${plain.format(v)} ${code}` };
  }
}
const missing = (v) => v === null || v === undefined || Number.isNaN(v);
function money(v, code = currency) { return missing(v) ? "-" : moneyFormat(code).format(v); }
function wholeMoney(v) {
  return new Intl.NumberFormat("en-US", { style: "currency", currency, maximumFractionDigits: 0 }).format(v);
}
function signedMoney(v, code = currency) { return missing(v) ? "-" : (v > 0 ? "+" : "") + money(v, code); }
const percentFormat = new Intl.NumberFormat("en-US", { style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero" });
function percent(v) { return missing(v) ? "-" : percentFormat.format(v); }
const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });
function number(v) { return missing(v) ? "-" : numberFormat.format(v); }
function price(v) { return missing(v) ? "-" : new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(v); }
function local(v, code) { return missing(v) || code === currency ? price(v) : `${price(v)} ${code}`; }
function signClass(v) { return missing(v) || v === 0 ? "" : v > 0 ? "pos" : "neg"; }
function when(iso) { return iso ? clock(new Date(iso)) : "-"; }

function cell(value, cls) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "-" : String(value);
  if (cls) td.className = cls;
  return td;
}
function row(cells, cls) {
  const tr = document.createElement("tr");
  if (cls) tr.className = cls;
  for (const c of cells) tr.appendChild(c instanceof Node ? c : cell(c));
  return tr;
}

// ------------------------------------------------------------------ API
async function call(path, options = {}) {
  const headers = Object.assign({ "Authorization": "Bearer " + token }, options.headers || {});
  const response = await fetch(api + path, Object.assign({}, options, { headers, credentials: "omit" }));
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((data.error && data.error.message) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

// ------------------------------------------------------------------ banner
function showBanner() {
  const banner = $("banner");
  if (stale) {
    banner.className = "stale";
    $("outlook").textContent = lastEventAt ? `NO CONTACT since ${clock(lastEventAt)}` : "NO CONTACT";
  } else {
    banner.className = outlook.level;
    $("outlook").textContent = outlook.text;
  }
  $("last-event").textContent = lastEventAt ? clock(lastEventAt) : "never";
}
function contact() {
  lastEventAt = new Date();
  if (stale) { stale = false; attempt = 0; }
  showBanner();
}
function lostContact() {
  if (!stale) { stale = true; showBanner(); }
}
// The stream is the heartbeat: when nothing arrives for STALE_HEARTBEATS beats, the trader
// is dead, hung or cut off. Drop the stream and reconnect with backoff.
setInterval(() => {
  if (stale || !lastEventAt) return;
  if (Date.now() - lastEventAt.getTime() > STALE_HEARTBEATS * heartbeatMs) {
    lostContact();
    if (stream) stream.abort();
  }
}, 250);

// ------------------------------------------------------------------ tables
// One refresh at a time: one asked for while another runs runs once more after it, so a
// slower, older answer never overwrites a newer table (e.g. positions right after a fill).
let refreshing = null, again = false;
function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try { do { again = false; await refreshOnce(); } while (again); } finally { refreshing = null; }
  })();
  return refreshing;
}
async function refreshOnce() {
  const status = await call("/status");
  outlook = status.outlook;
  $("state").textContent = status.trading_state;
  $("connection").textContent = status.connection;
  $("reconnects").textContent = status.reconnects;
  showBanner();
  showMoney(status.money);
  const until = Object.fromEntries(status.outlook.blockers.map((b) => [b.breaker, b.until_text]));
  $("breakers").replaceChildren(...status.breakers.map((b) => breakerRow(b, until[b.name])));
  const positions = await call("/positions");
  $("positions").replaceChildren(...positions.positions.map((p) => row([
    // Price and cost in the contract's currency; value and P&L in the account's base currency.
    p.label, cell(number(p.quantity), "num"), cell(local(p.avg_cost, p.currency), "num"),
    cell(local(p.market_price, p.currency), "num"), cell(money(p.market_value), "num"),
    cell(signedMoney(p.unrealized_pnl), "num " + signClass(p.unrealized_pnl)),
  ])));
  const orders = await call("/orders");
  // The terms are the server's one line (type, prices, TIF, OCA group, parent...).
  $("orders").replaceChildren(...orders.orders.map((o) => row([
    o.order_id, o.label, o.side, cell(number(o.quantity), "num"), o.terms,
    o.status + (o.foreign ? " (foreign)" : ""),
  ])));
}
function showMoney(m) {
  if (!m || m.error) {
    $("money-note").textContent = m && m.error ? "account unavailable: " + m.error : "";
    return;
  }
  currency = m.currency;
  $("currency").textContent = `(${m.currency}, account ${m.account})`;
  $("equity").textContent = money(m.equity);
  for (const [id, value] of [["daily-pnl", m.daily_pnl], ["realized-pnl", m.realized_pnl], ["unrealized-pnl", m.unrealized_pnl]]) {
    $(id).textContent = signedMoney(value);
    $(id).className = signClass(value);
  }
  $("daily-pnl-pct").textContent = percent(m.daily_pnl_fraction);
  $("daily-pnl-pct").className = signClass(m.daily_pnl_fraction);
  $("gross-exposure").textContent = money(m.gross_exposure);
  $("net-exposure").textContent = signedMoney(m.net_exposure);
  $("money-note").textContent = m.unvalued.length ? `not in the exposure (no price or another currency): ${m.unvalued.join(", ")}` : "";
}
function breakerRow(b, untilText) {
  const latched = b.state !== "ACTIVE";
  const action = document.createElement("td");
  if (latched) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "reset";
    button.dataset.breaker = b.name;
    button.onclick = () => act(`RESET ${b.name}`, `re-arm the ${b.name} breaker (new risk may pass again)`, `/breakers/${encodeURIComponent(b.name)}/reset`, {});
    action.appendChild(button);
  }
  // Every breaker's value and threshold is a fraction (of equity or of the peak).
  return row([b.name, cell(b.state, b.state), percent(b.value), percent(b.threshold), when(b.since), untilText || "-", action]);
}

// ------------------------------------------------------------------ decisions
function showDecision(d) {
  if (shown.has(d.seq)) return;
  shown.add(d.seq);
  const reasons = (d.reasons || []).map((r) => r.name + ": " + r.message).join("; ");
  const symbol = (d.instrument && (d.instrument.label || d.instrument.symbol)) || d.contract;
  const order = d.order || {};
  const tr = row([d.seq, when(d.time), symbol, order.side, cell(number(order.quantity), "num"),
    cell(valued(d.valuation), "num"), cell(d.kind === "flatten" ? "flatten" : d.outcome, d.outcome),
    reasons], d.outcome);
  tr.dataset.seq = d.seq;
  const body = $("stream");
  // Newest first; a replayed (older) decision goes below newer ones.
  const after = Array.from(body.children).find((r) => Number(r.dataset.seq) < d.seq);
  body.insertBefore(tr, after || null);
  while (body.children.length > 500) body.lastChild.remove();
}
// What the decision added, in the base currency and (when another) the contract's own.
function valued(v) {
  if (!v || missing(v.notional_base)) return "-";
  const base = money(v.notional_base, v.base);
  return v.currency === v.base || missing(v.notional) ? base : `${base} (${money(v.notional, v.currency)})`;
}
async function loadDecisions() {
  (await call("/decisions?limit=200")).decisions.forEach(showDecision);
}

// ------------------------------------------------------------------ chart
function chartData(h) {
  return [h.time, h.equity, h.allowed.map((a, i) => a + h.blocked[i]), h.blocked];
}
async function refreshChart() {
  if (typeof uPlot === "undefined") return;
  const history = await call("/history");
  const data = chartData(history);
  const box = $("chart");
  const width = Math.max(200, box.clientWidth);
  if (!chart) {
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 16] }) : undefined;
    chart = new uPlot({
      width, height: 240,
      scales: {
        // At least the last 15 minutes, so one minute of data is not one wide bar.
        // (From the data itself: uPlot widens a single time point to 1000 days.)
        x: { time: true, range: (u) => {
          const xs = u.data[0], now = Date.now() / 1000;
          const first = xs.length ? xs[0] : now, last = xs.length ? xs[xs.length - 1] : now;
          return [Math.min(first - 120, now - 900), Math.max(last, now) + 60];
        } },
        // Pad by 10 % of the span, at least 0.1 % of equity: a flat line is not a cliff.
        eq: { range: (u, min, max) => {
          if (min === null) return [0, 1];
          const padding = Math.max((max - min) * 0.1, Math.abs(max) * 0.001, 1);
          return [min - padding, max + padding];
        } },
        n: { range: (u, min, max) => [0, Math.max(1, max)] },
      },
      series: [
        {},
        { label: "equity", scale: "eq", stroke: "#2563eb", width: 2, spanGaps: false, value: (u, v) => money(v) },
        { label: "decisions/min", scale: "n", stroke: "#15803d", fill: "#15803d55", paths: bars },
        { label: "blocked/min", scale: "n", stroke: "#b91c1c", fill: "#b91c1c88", paths: bars },
      ],
      axes: [
        {},
        { scale: "eq", size: 90, values: (u, vals) => vals.map((v) => wholeMoney(v)) },
        { scale: "n", side: 1, grid: { show: false } },
      ],
    }, data, box);
    new ResizeObserver(() => chart.setSize({ width: Math.max(200, box.clientWidth), height: 240 })).observe(box);
  } else {
    chart.setData(data);
  }
}

// ------------------------------------------------------------------ the event stream
async function listen() {
  stream = new AbortController();
  const headers = { "Authorization": "Bearer " + token };
  if (lastEventId) headers["Last-Event-ID"] = lastEventId;
  // EventSource cannot send headers; read the stream with fetch so the token stays a header.
  const response = await fetch(api + "/events", { headers, credentials: "omit", signal: stream.signal });
  if (!response.ok) {
    const error = new Error("event stream: HTTP " + response.status);
    error.status = response.status;
    throw error;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
      handle(block);
    }
  }
}
function handle(block) {
  let kind = "message", id = null, data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("event: ")) kind = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (id !== null) lastEventId = id;
  contact();
  if (!data) return;
  const payload = JSON.parse(data);
  if (kind === "hello") {
    heartbeatMs = (payload.heartbeat_s || 1) * 1000;
    // A fresh stream, or one that could not resume: reload what the page shows.
    if (payload.reset || shown.size === 0) loadDecisions().catch(() => {});
    refresh().catch(() => {});
  } else if (kind === "decision" || kind === "flatten") {
    showDecision(payload);
  } else if (kind !== "heartbeat") {
    refresh().catch(() => {});
  }
}
async function follow() {
  for (;;) {
    try {
      await listen();
    } catch (e) {
      if (e.status === 401) { showLogin("token refused: " + e.message); return; }
    }
    lostContact();
    const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] * (0.8 + 0.4 * Math.random());
    attempt += 1;
    $("result").textContent = `event stream lost; reconnecting (attempt ${attempt})`;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

// ------------------------------------------------------------------ controls
// Every control asks who and why (journaled with the action) in one dialog.
function confirmAction(label, what) {
  const dialog = $("confirm");
  $("confirm-title").textContent = label;
  $("confirm-what").textContent = what;
  $("confirm-who").value = sessionStorage.getItem("hydra-who") || "";
  $("confirm-why").value = "";
  const ok = $("confirm-ok");
  const check = () => { ok.disabled = !($("confirm-who").value.trim() && $("confirm-why").value.trim()); };
  $("confirm-who").oninput = check; $("confirm-why").oninput = check;
  check();
  dialog.showModal();
  ($("confirm-who").value ? $("confirm-why") : $("confirm-who")).focus();
  return new Promise((resolve) => {
    const done = (answer) => { dialog.close(); resolve(answer); };
    ok.onclick = () => done({ who: $("confirm-who").value.trim(), why: $("confirm-why").value.trim() });
    $("confirm-cancel").onclick = () => done(null);
    dialog.oncancel = () => resolve(null);
  });
}
async function act(label, what, path, body) {
  const answer = await confirmAction(label, what);
  if (!answer) return;
  sessionStorage.setItem("hydra-who", answer.who);
  try {
    await call(path, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({ who: answer.who, why: answer.why }, body)) });
    $("result").textContent = `${label} done by ${answer.who}`;
  } catch (e) { $("result").textContent = `${label} failed: ${e.message}`; }
  refresh().catch(() => {});
}
$("halt").onclick = () => act("HALT", "no order passes until resumed", "/state", { state: "HALTED" });
$("reduce").onclick = () => act("REDUCE", "only orders that shrink a position pass", "/state", { state: "REDUCING" });
$("resume").onclick = () => act("RESUME", "back to ACTIVE", "/state", { state: "ACTIVE" });
$("kill").onclick = () => act("KILL", "HALT and cancel every open order", "/kill", { flatten: false });
$("flatten").onclick = () => act("KILL + FLATTEN", "HALT, cancel every open order, then close every position at market", "/kill", { flatten: true });

// ------------------------------------------------------------------ start
function showLogin(message) {
  $("console").hidden = true; $("login").hidden = false;
  $("error").textContent = message || "";
}
async function start() {
  try {
    await refresh();
  } catch (e) { showLogin(e.message); return; }
  sessionStorage.setItem("hydra-token", token);
  $("login").hidden = true; $("console").hidden = false;
  follow();
  refreshChart().catch(() => {});
  setInterval(() => refreshChart().catch(() => {}), CHART_REFRESH_MS);
  if (poll > 0) setInterval(() => refresh().catch(() => {}), poll * 1000);
}
$("login").onsubmit = (event) => { event.preventDefault(); token = $("token").value.trim(); start(); };
if (token) start();
