/* gordon console: the operator's page. Talks only to its own origin; the
 * session is an HttpOnly cookie, the CSRF token lives in this closure. */
"use strict";
(function () {
  let csrf = null;
  let events = null;
  let last = null;
  let equity = [];
  let breakerHist = {};
  let pluginNames = "";
  let catalog = {};
  let shownPlugin = "";
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  function money(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    return (v < 0 ? "−" : "") + "$" + Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function num(v, d) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: d === undefined ? 8 : d });
  }
  function pct(v) { return v === null || v === undefined || !isFinite(v) ? "–" : num(v, 2) + " %"; }
  function ago(ms) {
    const age = (Date.now() - ms) / 1000;
    if (Math.abs(age) < 90) return Math.round(age) + " s ago";
    if (Math.abs(age) < 5400) return Math.round(age / 60) + " min ago";
    if (Math.abs(age) < 172800) return Math.round(age / 3600) + " h ago";
    return Math.round(age / 86400) + " days ago";
  }
  function abs(ms) { return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"); }
  function utc(ms) { return ms ? abs(ms) + " (" + ago(ms) + ")" : "–"; }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  /* A time as UTC, then its age in a span that ticks in place: the age is
   * left out of what a screen reader hears again and of the change checks,
   * so a row or banner is not rebuilt (and re-announced) each second. */
  function withAge(e, ms) {
    if (!ms) return e;
    const s = el("span", " (" + ago(ms) + ")", "age");
    s.dataset.ms = String(ms);
    s.setAttribute("aria-hidden", "true");
    e.appendChild(s);
    return e;
  }
  function timeEl(tag, ms) { return withAge(el(tag, ms ? abs(ms) : "–"), ms); }
  function refreshAges(root) { for (const s of root.querySelectorAll("span.age")) s.textContent = " (" + ago(Number(s.dataset.ms)) + ")"; }
  function signature(nodes) {
    return nodes.map((n) => {
      const c = n.cloneNode(true);
      for (const a of c.querySelectorAll(".age")) a.remove();
      return c.className + "|" + c.textContent + "|" + [...c.querySelectorAll("[data-focus-key]")].map((b) => b.dataset.focusKey).join(",");
    }).join("\u0001");
  }
  /* Replaces box's children with nodes only when what they say changed, and
   * gives focus back to the control that had it: the page updates live
   * without taking the keyboard or a screen reader's place away. */
  function replaceIfChanged(box, nodes) {
    const key = signature(nodes);
    if (box.dataset.key === key) { refreshAges(box); return false; }
    const f = document.activeElement;
    const fkey = f && box.contains(f) && f.dataset ? f.dataset.focusKey : null;
    box.replaceChildren(...nodes);
    box.dataset.key = key;
    if (fkey) for (const n of box.querySelectorAll("[data-focus-key]")) if (n.dataset.focusKey === fkey) n.focus();
    return true;
  }

  async function call(method, path, body) {
    const opt = { method, headers: {}, credentials: "same-origin" };
    if (method === "POST") {
      opt.headers["Content-Type"] = "application/json";
      opt.headers["X-CSRF-Token"] = csrf || "";
      opt.body = JSON.stringify(body || {});
    }
    const r = await fetch(path, opt);
    let j = null;
    try { j = await r.json(); } catch (e) { j = null; }
    return { status: r.status, body: j };
  }

  function showLogin(msg) {
    csrf = null;
    if (events) { events.close(); events = null; }
    $("main-view").hidden = true;
    $("logout").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = msg || "";
    setConn("not connected");
    $("token").focus();
  }

  /* A status region speaks when its text changes: set it only then. */
  function setConn(text) {
    const c = $("conn");
    if (c.textContent === text) return;
    c.textContent = text;
    c.className = text === "live" ? "conn live" : "conn";
  }

  function showMain() {
    $("login-view").hidden = true;
    $("main-view").hidden = false;
    $("logout").hidden = false;
    connect();
    loadBots();
  }

  /* The curve since the daemon started: equity (line) over drawdown (area). */
  function drawEquity() {
    const box = $("equity-chart");
    box.replaceChildren();
    const pts = equity;
    if (pts.length < 2) { $("equity-caption").textContent = "Not enough points yet (one every 5 s)."; return; }
    const W = 1000, H = 180, P = 4;
    const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
    let lo = Infinity, hi = -Infinity, ddMax = 0;
    for (const p of pts) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); ddMax = Math.max(ddMax, p[2]); }
    if (hi === lo) { hi += 1; lo -= 1; }
    const x = (t) => P + (W - 2 * P) * (t - t0) / Math.max(1, t1 - t0);
    const y = (v) => H - P - (H - 2 * P) * (v - lo) / (hi - lo);
    const yd = (d) => P + (H - 2 * P) * (ddMax > 0 ? d / Math.max(ddMax, 1) : 0) * 0.5;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("preserveAspectRatio", "none");
    const dd = document.createElementNS(SVG, "polygon");
    dd.setAttribute("class", "dd");
    dd.setAttribute("points", [`${x(t0)},${P}`, ...pts.map((p) => `${x(p[0])},${yd(p[2])}`), `${x(t1)},${P}`].join(" "));
    svg.appendChild(dd);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("class", "eq");
    line.setAttribute("points", pts.map((p) => `${x(p[0])},${y(p[1])}`).join(" "));
    svg.appendChild(line);
    box.appendChild(svg);
    const lastp = pts[pts.length - 1];
    $("equity-caption").textContent = `${pts.length} points from ${utc(t0)}: equity ${money(lastp[1])} (range ${money(lo)} to ${money(hi)}), drawdown now ${pct(lastp[2])}, worst ${pct(ddMax)} (shaded from the top).`;
  }

  /* Each breaker's value (line) against its threshold (dashed), last 6 hours. */
  function drawBreakers() {
    const box = $("breaker-charts");
    box.replaceChildren();
    for (const [name, pts] of Object.entries(breakerHist)) {
      if (pts.length < 2) continue;
      const W = 600, H = 70, P = 3;
      const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
      let lo = Infinity, hi = -Infinity;
      for (const p of pts) { lo = Math.min(lo, p[1], p[2]); hi = Math.max(hi, p[1], p[2]); }
      if (hi === lo) { hi += 1; lo -= 1; }
      const x = (t) => P + (W - 2 * P) * (t - t0) / Math.max(1, t1 - t0);
      const y = (v) => H - P - (H - 2 * P) * (v - lo) / (hi - lo);
      const fig = el("figure");
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", "breaker " + name + " over time");
      const thr = document.createElementNS(SVG, "polyline");
      thr.setAttribute("class", "thr");
      thr.setAttribute("points", pts.map((p) => `${x(p[0])},${y(p[2])}`).join(" "));
      const val = document.createElementNS(SVG, "polyline");
      val.setAttribute("class", "val");
      val.setAttribute("points", pts.map((p) => `${x(p[0])},${y(p[1])}`).join(" "));
      svg.appendChild(thr);
      svg.appendChild(val);
      fig.appendChild(svg);
      const last = pts[pts.length - 1];
      fig.appendChild(el("figcaption", name + ": " + num(last[1], 4) + " against " + num(last[2], 4) + " (dashed), since " + utc(t0)));
      box.appendChild(fig);
    }
  }

  function connect() {
    if (events) events.close();
    call("GET", "/equity").then((r) => {
      if (r.status === 200 && r.body && Array.isArray(r.body.points)) { equity = r.body.points; drawEquity(); }
      if (r.status === 200 && r.body && r.body.breakers) { breakerHist = r.body.breakers; drawBreakers(); }
    });
    events = new EventSource("/events");
    events.addEventListener("equity", (ev) => {
      try {
        const j = JSON.parse(ev.data);
        for (const p of j.points || []) if (!equity.length || p[0] > equity[equity.length - 1][0]) equity.push(p);
        if (equity.length > 17280) equity.splice(0, equity.length - 17280);
        drawEquity();
        for (const [name, pts] of Object.entries(j.breakers || {})) {
          const h = breakerHist[name] || (breakerHist[name] = []);
          for (const p of pts) if (!h.length || p[0] > h[h.length - 1][0]) h.push(p);
          if (h.length > 4320) h.splice(0, h.length - 4320);
        }
        drawBreakers();
      } catch (e) { /* the next point redraws */ }
    });
    events.addEventListener("snapshot", (ev) => {
      setConn("live");
      try { render(JSON.parse(ev.data)); } catch (e) { /* a bad event: the next one renders */ }
    });
    events.onerror = async () => {
      setConn("reconnecting…");
      const s = await call("GET", "/session");
      if (s.status === 401) showLogin("Your session ended: log in again.");
    };
  }

  function banners(snap) {
    const box = $("banners");
    const out = [];
    const st = snap.state || {};
    const latch = st.halt_latch || {};
    if (latch.halted) {
      const b = el("div", "HALTED: no new entries. " + (latch.reason || latch.why || "") +
        (latch.who ? " — by " + latch.who : "") + (latch.since_ms ? ", since " + abs(latch.since_ms) : ""), "banner halt");
      withAge(b, latch.since_ms).appendChild(document.createTextNode(". Only an operator can resume."));
      out.push(b);
    }
    for (const br of st.breakers || []) {
      if (br.state === "tripped") {
        /* The value moves every bar: the banner says it tripped, the breakers table has the figures. */
        out.push(el("div", "Breaker " + br.name + " (" + br.plugin + ") TRIPPED: threshold " + num(br.threshold, 4) +
          (br.reason ? " — " + br.reason : "") + ". Its current value is in the Breakers table.", "banner tripped"));
      }
    }
    for (const s of (snap.strategies && snap.strategies.strategies) || []) {
      if (s.quarantine) {
        const q = s.quarantine;
        out.push(withAge(el("div", "Strategy " + s.name + " QUARANTINED: no new entries (its exits and stops stay)" +
          (q.why ? " — " + q.why : "") + (q.who ? ", by " + q.who : "") + (q.since_ms ? ", since " + abs(q.since_ms) : ""),
          "banner quarantine"), q.since_ms));
      }
    }
    replaceIfChanged(box, out);
  }

  function account(snap) {
    const a = (snap.state && snap.state.account) || {};
    const rows = [
      ["Equity", money(a.equity)], ["Sizing equity", money(a.sizing_equity)],
      ["Allocation", a.allocation_usd === null || a.allocation_usd === undefined ? "none (account equity)" : money(a.allocation_usd)],
      ["Drawdown", pct(a.drawdown_pct)], ["Peak equity", money(a.peak_equity)],
      ["Notional today", money(a.notional_used_today) + " of " + money(a.notional_cap_daily)],
      ["Gross exposure", money(a.gross_exposure) + " of " + money(a.gross_exposure_cap)],
      ["Open positions", num(a.open_positions, 0)],
    ];
    replaceIfChanged($("account"), rows.map(([k, v]) => {
      const d = el("div");
      d.appendChild(el("dt", k));
      d.appendChild(el("dd", v));
      return d;
    }));
  }

  function table(id, rows, none) {
    const t = $(id);
    if (!rows.length) {
      const tr = el("tr");
      const td = el("td", none, "muted");
      td.colSpan = t.tHead.rows[0].cells.length;
      tr.appendChild(td);
      rows = [tr];
    }
    replaceIfChanged(t.tBodies[0], rows);
  }

  function render(snap) {
    last = snap;
    banners(snap);
    account(snap);
    table("breakers", ((snap.state && snap.state.breakers) || []).map((b) => {
      const tr = el("tr");
      tr.appendChild(el("td", b.name));
      tr.appendChild(el("td", b.plugin));
      tr.appendChild(el("td", b.state, "state-" + b.state));
      tr.appendChild(el("td", num(b.value, 4), "num"));
      tr.appendChild(el("td", num(b.threshold, 4), "num"));
      return tr;
    }), "No breakers.");
    table("positions", ((snap.positions && snap.positions.positions) || []).map((p) => {
      const tr = el("tr");
      const risk = p.stop ? Math.abs(p.entry_price - p.stop) * p.qty : null;
      tr.appendChild(el("td", p.strategy + (p.orphaned ? " (orphaned)" : "")));
      tr.appendChild(el("td", p.symbol));
      tr.appendChild(el("td", p.side));
      tr.appendChild(el("td", num(p.qty), "num"));
      tr.appendChild(el("td", num(p.entry_price), "num"));
      const conf = p.stop_working === true ? " (working at the venue)" : p.stop_working === false ? " (NOT confirmed)" : "";
      tr.appendChild(el("td", p.stop ? num(p.stop) + conf : "none", "num" + (p.stop_working === false ? " rejected" : "")));
      tr.appendChild(el("td", num(p.mark), "num"));
      tr.appendChild(el("td", money(p.unrealized_pnl), "num"));
      tr.appendChild(el("td", money(risk), "num"));
      tr.appendChild(timeEl("td", p.opened_ms));
      return tr;
    }), "No open positions.");
    table("fills", ((snap.fills && snap.fills.fills) || []).slice(0, 20).map((f) => {
      const tr = el("tr");
      tr.appendChild(timeEl("td", f.time_ms));
      tr.appendChild(el("td", f.strategy));
      tr.appendChild(el("td", f.symbol));
      tr.appendChild(el("td", f.reason.replace("_", " ")));
      tr.appendChild(el("td", f.side));
      tr.appendChild(el("td", num(f.qty), "num"));
      tr.appendChild(el("td", num(f.price), "num"));
      tr.appendChild(el("td", f.slippage_bps === undefined ? "–" : num(f.slippage_bps, 1) + " bps", "num"));
      tr.appendChild(el("td", f.latency_ms === undefined ? "–" : num(f.latency_ms, 0) + " ms", "num"));
      tr.appendChild(el("td", money(f.fee), "num"));
      return tr;
    }), "No fills yet.");
    table("intents", ((snap.intents && snap.intents.intents) || []).slice(0, 20).map((i) => {
      const tr = el("tr");
      tr.appendChild(timeEl("td", i.time_ms));
      tr.appendChild(el("td", i.strategy));
      tr.appendChild(el("td", i.symbol));
      tr.appendChild(el("td", i.action + (i.side && i.side !== "none" ? " " + i.side : "")));
      tr.appendChild(el("td", i.result === "accepted" ? "accepted" : "rejected: " + i.reason, i.result === "accepted" ? "" : "rejected"));
      tr.appendChild(el("td", num(i.qty), "num"));
      tr.appendChild(el("td", money(i.notional), "num"));
      tr.appendChild(el("td", i.detail || ""));
      return tr;
    }), "No intents yet.");
    table("strategies", ((snap.strategies && snap.strategies.strategies) || []).map((s) => {
      const tr = el("tr");
      tr.appendChild(el("td", s.name));
      tr.appendChild(el("td", s.quarantine ? "quarantined" + (s.quarantine.why ? ": " + s.quarantine.why : "") : "trading"));
      const td = el("td");
      const b = el("button", s.quarantine ? "Release" : "Quarantine", s.quarantine ? "" : "danger");
      b.type = "button";
      b.dataset.strategy = s.name;
      b.dataset.action = s.quarantine ? "release" : "quarantine";
      b.dataset.focusKey = "strategy:" + s.name;
      b.setAttribute("aria-label", (s.quarantine ? "Release strategy " : "Quarantine strategy ") + s.name);
      b.addEventListener("click", () => strategyAction(s.name, b.dataset.action));
      td.appendChild(b);
      tr.appendChild(td);
      return tr;
    }), "No strategies.");
    if (snap.bots) renderBots(snap.bots);
    $("updated").textContent = utc(snap.at_ms);
  }

  /* Every action names its effect and asks for a reason first. */
  function confirmAction(title, text, force) {
    return new Promise((resolve) => {
      const d = $("confirm");
      $("confirm-title").textContent = title;
      $("confirm-text").textContent = text;
      $("confirm-reason").value = "";
      $("confirm-force").checked = false;
      $("confirm-force-label").hidden = !force;
      d.returnValue = "";
      d.onclose = () => resolve(d.returnValue === "ok" ? { reason: $("confirm-reason").value, force: $("confirm-force").checked } : null);
      d.showModal();
      $("confirm-reason").focus();
    });
  }

  async function act(path, body) {
    const r = await call("POST", "/api" + path, body);
    const out = $("action-result");
    if (r.status === 401) { showLogin("Your session ended: log in again."); return r; }
    if (r.status >= 200 && r.status < 300) out.textContent = "Done: " + path + ".";
    else out.textContent = "Refused (" + r.status + "): " + ((r.body && (r.body.error || r.body.detail)) || "no reason given");
    out.className = r.status >= 300 ? "error" : "";
    return r;
  }

  async function strategyAction(name, what) {
    const c = await confirmAction(what === "quarantine" ? "Quarantine " + name : "Release " + name,
      what === "quarantine"
        ? "Strategy " + name + " will open no new positions until released. Its open positions keep their exits and stops."
        : "Strategy " + name + " may open new positions again.", false);
    if (c) await act("/strategies/" + encodeURIComponent(name) + "/" + what, { reason: c.reason });
  }

  async function loadBots() {
    const r = await call("GET", "/bots");
    if (r.status === 200 && r.body) renderBots(r.body);
  }

  function renderBots(b) {
    const inst = {};
    for (const i of b.instances || []) inst[i.label] = i;
    table("bots", (b.strategies || []).map((s) => {
      const i = inst["strategy." + s.name];
      const tr = el("tr");
      tr.appendChild(el("td", s.name));
      tr.appendChild(el("td", s.plugin));
      tr.appendChild(el("td", i ? i.version : "–"));
      tr.appendChild(el("td", i ? i.sha256.slice(0, 12) + "…" : "–"));
      tr.appendChild(el("td", Object.entries(s.params || {}).map(([k, v]) => k + " = " + v).join(", ")));
      tr.appendChild(el("td", i ? "yes" : s.enabled ? "no" : "disabled"));
      tr.appendChild(el("td", !i ? "–" : i.ablation_on_record === true ? "yes" : i.ablation_on_record === false ? "NO" :
        b.database ? "not known yet" : "no database", i && i.ablation_on_record === false ? "rejected" : ""));
      return tr;
    }), "No strategies configured.");
    /* Bots are strategies: overlays and breakers are not offered (a plugin not yet described is). */
    const plugins = (b.plugins || []).filter((p) => !p.kind || p.kind === "strategy");
    catalog = {};
    for (const p of plugins) catalog[p.name] = p;
    /* The picker is rebuilt only when the list changed: never under the operator's hand. */
    const names = JSON.stringify(plugins.map((p) => p.name));
    if (names !== pluginNames) {
      pluginNames = names;
      const sel = $("bot-plugin");
      const cur = sel.value;
      sel.replaceChildren(...plugins.map((p) => { const o = el("option", p.name); o.value = p.name; return o; }));
      if (cur && catalog[cur]) sel.value = cur;
    }
    renderParams(false);
    $("bot-stage").textContent = "Stage " + b.stage + ": risk per trade " + num(b.risk_pct, 2) + " %, allocation " +
      (b.allocation_usd === null ? "none (account equity)" : money(b.allocation_usd)) +
      ". The host checks the bot as gordon check would (the stage's caps apply), writes it as a conf.d file and reloads; a refusal changes nothing.";
  }

  function rangeText(p) {
    const lo = p.min !== undefined ? num(p.min) : null, hi = p.max !== undefined ? num(p.max) : null;
    if (lo !== null && hi !== null) return ", " + lo + " to " + hi;
    if (lo !== null) return ", at least " + lo;
    if (hi !== null) return ", at most " + hi;
    return "";
  }

  /* One labelled input per declared parameter, at its default; rebuilt when
   * the plugin picked or its description changes, not on every snapshot. */
  function renderParams(force) {
    const name = $("bot-plugin").value;
    const p = catalog[name];
    const key = JSON.stringify(p || null);
    if (!force && key === shownPlugin) return;
    shownPlugin = key;
    const info = $("bot-plugin-info");
    const box = $("bot-param-fields");
    box.replaceChildren();
    $("bot-params-other").hidden = !(p && p.error);
    info.className = "muted";
    if (!p) { info.textContent = "No plugin picked."; return; }
    if (p.pending) { info.textContent = "Describing " + name + " in a sandboxed worker…"; return; }
    if (p.error) {
      info.textContent = name + " could not be described: " + p.error + ". Its parameters can still be given as text; the host checks them.";
      info.className = "error";
      return;
    }
    info.textContent = p.plugin + " " + p.version + " (SHA-256 " + p.sha256.slice(0, 12) + "…)" + (p.description ? ": " + p.description : "") +
      (p.params.length ? "" : ". It declares no parameters.");
    for (const q of p.params) {
      const id = "bot-param-" + q.name;
      const row = el("div", undefined, "param");
      const label = el("label", q.name + " (" + q.type + rangeText(q) + ")");
      label.htmlFor = id;
      let input;
      if (q.type === "bool") {
        input = el("select");
        for (const v of ["true", "false"]) { const o = el("option", v); o.value = v; input.appendChild(o); }
        input.value = q.default ? "true" : "false";
      } else {
        input = el("input");
        if (q.type === "int" || q.type === "double") {
          input.type = "number";
          input.step = q.type === "int" ? "1" : "any";
          if (q.min !== undefined) input.min = String(q.min);
          if (q.max !== undefined) input.max = String(q.max);
        } else {
          input.type = "text";
          input.maxLength = 64;
        }
        input.value = q.default === undefined ? "" : String(q.default);
        input.required = q.type !== "string";
      }
      input.id = id;
      input.dataset.param = q.name;
      input.dataset.def = input.value;
      const help = el("span", (q.help ? q.help + ". " : "") + "Default " + (q.default === undefined ? "none" : String(q.default)) +
        (q.tunable ? "; the walk-forward tunes it." : "."), "muted help");
      help.id = id + "-help";
      input.setAttribute("aria-describedby", help.id);
      row.append(label, input, help);
      box.appendChild(row);
    }
  }

  async function placeBot() {
    const params = {};
    for (const f of $("bot-param-fields").querySelectorAll("[data-param]")) {
      const v = f.value.trim();
      if (v !== "") params[f.dataset.param] = v;
    }
    for (const line of ($("bot-params-other").hidden ? "" : $("bot-params").value).split("\n")) {
      const t = line.trim();
      if (!t) continue;
      const eq = t.indexOf("=");
      if (eq < 1) { $("bot-result").textContent = "Refused: \"" + t + "\" is not name = value."; return; }
      params[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
    }
    const body = { name: $("bot-name").value.trim(), plugin: $("bot-plugin").value, symbols: $("bot-symbols").value.trim(), params };
    if ($("bot-risk").value !== "") body.risk_pct = Number($("bot-risk").value);
    if ($("bot-alloc").value !== "") body.allocation_usd = Number($("bot-alloc").value);
    const c = await confirmAction("Place bot " + body.name, "Strategy " + body.name + " (" + body.plugin + ") will start trading " +
      (body.symbols || "every symbol") + " now, after the host validates the whole configuration and reloads." +
      (body.risk_pct !== undefined || body.allocation_usd !== undefined ? " Risk per trade and allocation change for the whole account." : ""), false);
    if (!c) return;
    const r = await call("POST", "/bots", body);
    const out = $("bot-result");
    if (r.status === 401) { showLogin("Your session ended: log in again."); return; }
    if (r.status === 200) { out.textContent = "Placed " + body.name + ": " + (r.body.summary || ""); out.className = ""; }
    else { out.textContent = "Refused (" + r.status + "): " + ((r.body && r.body.error) || "no reason given"); out.className = "error"; }
    loadBots();
  }

  function wire() {
    $("bot-form").addEventListener("submit", (ev) => { ev.preventDefault(); placeBot(); });
    $("bot-plugin").addEventListener("change", () => renderParams(true));
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const r = await call("POST", "/login", { token: $("token").value });
      $("token").value = "";
      if (r.status === 200 && r.body && r.body.csrf) {
        csrf = r.body.csrf;
        showMain();
      } else {
        $("login-error").textContent = (r.body && r.body.error) || "Login failed (" + r.status + ").";
      }
    });
    $("logout").addEventListener("click", async () => {
      await call("POST", "/logout", {});
      showLogin("Logged out.");
    });
    $("btn-halt").addEventListener("click", async () => {
      const c = await confirmAction("Halt trading", "The halt latch will be set: no new entries anywhere until an operator resumes. Open positions keep their stops.", false);
      if (c) await act("/risk/halt", { reason: c.reason });
    });
    $("btn-resume").addEventListener("click", async () => {
      const c = await confirmAction("Resume trading", "The halt latch will be cleared and new entries allowed again. It is refused while a breaker is still tripped, unless you force it.", true);
      if (!c) return;
      const r = await act("/risk/resume", c.force ? { reason: c.reason, force: true } : { reason: c.reason });
      if (r.status === 409) $("action-result").textContent = "Refused (409): a breaker is still tripped. Resume again with Force to override it.";
    });
    $("btn-flatten").addEventListener("click", async () => {
      const c = await confirmAction("Emergency flatten", "Every open position will be closed at market now, pending entries cancelled, and trading halted.", false);
      if (c) await act("/risk/emergency-flatten", { reason: c.reason });
    });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    wire();
    const s = await call("GET", "/session");
    if (s.status === 200 && s.body && s.body.csrf) {
      csrf = s.body.csrf;
      showMain();
    } else {
      showLogin("");
    }
  });
})();
