// The operator's console in headless Chromium (tests/e2e_console.sh runs
// it): log in, see the replayed session's position, the tripped breaker's
// banner, halt / resume (refused while the breaker is tripped, then done
// once it cleared) / emergency flatten / quarantine through the buttons and
// their confirmations, log out. A screenshot of each state goes to ARTIFACTS.
import puppeteer from "puppeteer-core";

const url = process.env.CONSOLE_URL;
const token = process.env.CONSOLE_TOKEN;
const art = process.env.ARTIFACTS;
let failed = 0;
const ok = (name) => console.log("ok   - " + name);
const bad = (name, why) => { failed++; console.log("FAIL - " + name + (why ? " [" + why + "]" : "")); };

async function step(name, fn) {
  try { await fn(); ok(name); } catch (e) { bad(name, String(e && e.message ? e.message : e).slice(0, 300)); }
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 800 });
const cspErrors = [];
page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
const shot = (name) => page.screenshot({ path: `${art}/${name}.png`, fullPage: true });
const text = (sel) => page.$eval(sel, (e) => e.textContent);
const waitText = (sel, re, ms) => page.waitForFunction(
  (s, r) => { const e = document.querySelector(s); return e && new RegExp(r).test(e.textContent); },
  { timeout: ms || 20000 }, sel, re.source);

// Confirms the open dialog with a reason (and force when asked).
async function confirm(reason, force) {
  await page.waitForSelector("#confirm[open]", { timeout: 5000 });
  if (force) await page.click("#confirm-force");
  await page.type("#confirm-reason", reason);
  await page.click("#confirm-ok");
  await page.waitForSelector("#confirm:not([open])", { timeout: 5000 });
}

try {
  await step("the login page loads, with no CSP violation", async () => {
    await page.goto(url, { waitUntil: "networkidle0" });
    await page.waitForSelector("#login-form", { visible: true });
    await shot("01-login");
  });
  await step("a wrong token is refused on the page", async () => {
    await page.type("#token", "not-a-token");
    await page.click("#login-form button[type=submit]");
    await waitText("#login-error", /not an operator token/);
  });
  await step("the operator logs in and the page goes live (server-sent events)", async () => {
    await page.type("#token", token);
    await page.click("#login-form button[type=submit]");
    await page.waitForSelector("#main-view", { visible: true, timeout: 10000 });
    await waitText("#conn", /^live$/);
  });
  await step("the replayed session's position appears, with its stop confirmed at the venue and risk to stop", async () => {
    await page.waitForFunction(() => [...document.querySelectorAll("#positions tbody tr")].some((tr) => tr.cells.length > 1), { timeout: 20000 });
    const row = await page.$eval("#positions tbody tr", (tr) => [...tr.cells].map((c) => c.textContent));
    if (row[0] !== "long" || row[1] !== "BTCUSDT" || row[2] !== "long") throw new Error("row " + row.join("|"));
    if (!/\$/.test(row[8])) throw new Error("risk to stop " + row[8]);
    await page.waitForFunction(() => /working at the venue/.test(document.querySelector("#positions tbody tr").cells[5].textContent), { timeout: 10000 });
    await shot("02-position");
  });
  await step("recent intents and fills: the accepted entry, its fill with slippage and latency", async () => {
    await page.waitForFunction(() => [...document.querySelectorAll("#fills tbody tr")].some((tr) => tr.cells.length > 1), { timeout: 20000 });
    const f = await page.$eval("#fills tbody tr", (tr) => [...tr.cells].map((c) => c.textContent));
    if (f[3] !== "entry" || !/bps$/.test(f[7]) || !/^\d[\d,]* ms$/.test(f[8])) throw new Error("fill " + f.join("|"));
    const i = await page.$$eval("#intents tbody tr", (rows) => rows.map((tr) => tr.cells[4].textContent));
    if (!i.includes("accepted")) throw new Error("intents " + i.join("|"));
  });
  await step("the equity curve is drawn (SVG, a point every 5 s)", async () => {
    await page.waitForFunction(() => {
      const l = document.querySelector("#equity-chart svg polyline.eq");
      return l && l.getAttribute("points").split(" ").length >= 2;
    }, { timeout: 20000 });
    await waitText("#equity-caption", /points from .* equity \$/);
  });
  await step("each breaker's value over time against its threshold (SVG)", async () => {
    await page.waitForFunction(() => {
      const f = document.querySelector("#breaker-charts figure");
      return f && f.querySelector("polyline.val") && f.querySelector("polyline.thr") && /^trip: /.test(f.querySelector("figcaption").textContent);
    }, { timeout: 20000 });
  });
  await step("the account shows equity, notional used against the daily cap", async () => {
    const t = await text("#account");
    if (!/Equity\$[\d,]+\.\d\d/.test(t) || !/Notional today\$[\d,.]+ of \$[\d,.]+/.test(t)) throw new Error(t);
  });
  await step("the breaker trips: the halt banner and the tripped breaker's banner", async () => {
    await waitText("#banners", /HALTED/, 40000);
    await waitText("#banners", /Breaker trip \(trip_breaker\) TRIPPED/);
    const role = await page.$eval("#banners .banner.halt", (e) => e.parentElement.getAttribute("role"));
    if (role !== "alert") throw new Error("the halt banner is not in an alert region");
    await shot("03-tripped");
  });
  await step("resume while the breaker is tripped: refused (409), said so", async () => {
    await page.click("#btn-resume");
    await confirm("try resume", false);
    await waitText("#action-result", /409.*Force/);
    await waitText("#banners", /HALTED/);
    await shot("04-resume-refused");
  });
  await step("the breaker clears: its banner goes, the latch stays set until an operator resumes", async () => {
    await page.waitForFunction(() => !/TRIPPED/.test(document.querySelector("#banners").textContent), { timeout: 30000 });
    await waitText("#banners", /HALTED/);
  });
  await step("the force option is offered for a resume, and only there", async () => {
    await page.click("#btn-resume");
    await page.waitForSelector("#confirm[open]");
    const shown = await page.$eval("#confirm-force-label", (e) => !e.hidden);
    await page.click("#confirm button[value=cancel]");
    await page.waitForSelector("#confirm:not([open])");
    await page.click("#btn-halt");
    await page.waitForSelector("#confirm[open]");
    const hidden = await page.$eval("#confirm-force-label", (e) => e.hidden);
    await page.click("#confirm button[value=cancel]");
    await page.waitForSelector("#confirm:not([open])");
    if (!shown || !hidden) throw new Error("force shown for resume " + shown + ", hidden for halt " + hidden);
  });
  await step("resume through its button: the latch clears", async () => {
    await page.click("#btn-resume");
    await confirm("breaker reviewed", false);
    await page.waitForFunction(() => !/HALTED/.test(document.querySelector("#banners").textContent), { timeout: 10000 });
    await waitText("#action-result", /Done: \/risk\/resume/);
    await shot("05-resumed");
  });
  await step("the bots list shows the running strategy with its plugin, version and hash", async () => {
    await page.waitForFunction(() => [...document.querySelectorAll("#bots tbody tr")].some((tr) => tr.cells.length > 1), { timeout: 10000 });
    const r = await page.$eval("#bots tbody tr", (tr) => [...tr.cells].map((c) => c.textContent));
    if (r[0] !== "long" || r[1].indexOf("always_long") < 0 || !/^[0-9a-f]{12}…$/.test(r[3]) || r[5] !== "yes")
      throw new Error(r.join("|"));
  });
  await step("the bots list says an ablation is on record for the strategy's .so (from trading.ablation_runs)", async () => {
    await page.waitForFunction(() => [...document.querySelectorAll("#bots tbody tr")].some((tr) => tr.cells[0].textContent === "long" && tr.cells[6].textContent === "yes"), { timeout: 25000 });
  });
  await step("the plugin picker offers the directory's strategies only, described by a worker: always_long's parameters with type, range, default and help", async () => {
    const opts = await page.$$eval("#bot-plugin option", (os) => os.map((o) => o.value));
    if (opts.indexOf("always_long") < 0 || opts.indexOf("vpin") >= 0 || opts.indexOf("drawdown") >= 0) throw new Error(opts.join(","));
    await page.select("#bot-plugin", "always_long");
    await page.waitForSelector("#bot-param-risk_scale", { timeout: 10000 });
    await waitText("#bot-plugin-info", /^always_long \S+ \(SHA-256 [0-9a-f]{12}…\)/);
    const f = await page.$eval("#bot-param-risk_scale", (e) => [e.type, e.min, e.max, e.value, e.labels[0].textContent,
      document.getElementById(e.getAttribute("aria-describedby")).textContent]);
    if (f[0] !== "number" || f[1] !== "0.001" || f[2] !== "1" || f[3] !== "1" || f[4] !== "risk_scale (double, 0.001 to 1)" ||
        !/fraction of the risk budget per entry\. Default 1/.test(f[5]))
      throw new Error(f.join("|"));
    if (!(await page.$eval("#bot-params-other", (e) => e.hidden))) throw new Error("free-text parameters shown for a described plugin");
    await shot("05a-bot-form");
  });
  await step("a refused bot (a parameter outside its declared range, from a client that skips the page's checks): the error names the file and line", async () => {
    await page.type("#bot-name", "bad");
    await page.select("#bot-plugin", "always_long");
    await page.waitForSelector("#bot-param-risk_scale");
    await page.$eval("#bot-param-risk_scale", (e) => { e.removeAttribute("max"); e.value = "5"; });
    await page.click("#bot-form button[type=submit]");
    await confirm("refused bot drill", false);
    await waitText("#bot-result", /Refused \(422\): .*90-console-bad\.ini:\d+/);
    await shot("05b-bot-refused");
  });
  await step("place a bot with micro-live parameters: placed, listed, and its first intent shows", async () => {
    await page.$eval("#bot-name", (e) => { e.value = ""; });
    await page.type("#bot-name", "second");
    await page.select("#bot-plugin", "always_long");
    await page.waitForSelector("#bot-param-risk_scale");
    await page.$eval("#bot-param-risk_scale", (e) => { e.value = ""; });
    await page.type("#bot-param-risk_scale", "0.5");
    await page.type("#bot-symbols", "BTCUSDT");
    await page.type("#bot-risk", "1");
    await page.click("#bot-form button[type=submit]");
    await confirm("placing a bot", false);
    await waitText("#bot-result", /Placed second/);
    await page.waitForFunction(() => [...document.querySelectorAll("#bots tbody tr")].some((tr) => tr.cells[0].textContent === "second" && tr.cells[5].textContent === "yes"), { timeout: 10000 });
    await page.waitForFunction(() => [...document.querySelectorAll("#intents tbody tr")].some((tr) => tr.cells[1].textContent === "second"), { timeout: 20000 });
    await shot("05c-bot-placed");
  });
  await step("cancelling a confirmation does nothing", async () => {
    await page.click("#btn-halt");
    await page.waitForSelector("#confirm[open]");
    await page.click("#confirm button[value=cancel]");
    await page.waitForSelector("#confirm:not([open])");
    await new Promise((r) => setTimeout(r, 1500));
    if (/HALTED/.test(await text("#banners"))) throw new Error("halted after cancel");
  });
  await step("halt through its button: the banner names who and why", async () => {
    await page.click("#btn-halt");
    await confirm("console drill", false);
    await waitText("#banners", /HALTED.*console drill.*by operator:/);
    await shot("06-halted");
  });
  await step("emergency flatten through its button: no open position is left", async () => {
    await page.click("#btn-flatten");
    await confirm("flatten drill", false);
    await page.waitForFunction(() => document.querySelector("#positions tbody").textContent === "No open positions.", { timeout: 20000 });
    await shot("07-flattened");
  });
  await step("halted, a new entry is refused and shown with its reason", async () => {
    await page.waitForFunction(() => [...document.querySelectorAll("#intents tbody tr")].some((tr) => /rejected: halted/.test(tr.cells[4].textContent)), { timeout: 20000 });
    await shot("07b-rejected");
  });
  await step("quarantine a strategy from its row: the banner says so", async () => {
    await page.click('#strategies button[data-action="quarantine"]');
    await confirm("quarantine drill", false);
    await waitText("#banners", /Strategy long QUARANTINED/);
    await shot("08-quarantined");
  });
  await step("screen reader: the banners are not rebuilt (re-announced) while live updates arrive and nothing they say changed", async () => {
    const r = await page.evaluate(async () => {
      let rebuilt = 0;
      const o = new MutationObserver((ms) => { rebuilt += ms.length; });
      o.observe(document.getElementById("banners"), { childList: true });
      const before = document.getElementById("updated").textContent;
      await new Promise((res) => setTimeout(res, 4000));
      o.disconnect();
      return [rebuilt, before !== document.getElementById("updated").textContent];
    });
    if (r[0] !== 0 || !r[1]) throw new Error("banner rebuilds " + r[0] + ", updates arrived " + r[1]);
  });
  await step("keyboard: focus on a strategy's Release button stays there through live updates; Enter asks, Escape cancels", async () => {
    await page.focus('#strategies button[data-action="release"]');
    const before = await text("#updated");
    await page.waitForFunction((b) => document.getElementById("updated").textContent !== b, { timeout: 10000 }, before);
    await new Promise((res) => setTimeout(res, 1500));
    const f = await page.evaluate(() => [document.activeElement.dataset.focusKey, document.activeElement.getAttribute("aria-label")]);
    if (f[0] !== "strategy:long" || f[1] !== "Release strategy long") throw new Error("focus on " + f.join("|"));
    await page.keyboard.press("Enter");
    await page.waitForSelector("#confirm[open]", { timeout: 5000 });
    await page.keyboard.press("Escape");
    await page.waitForSelector("#confirm:not([open])", { timeout: 5000 });
    await new Promise((res) => setTimeout(res, 1500));
    if (!/Strategy long QUARANTINED/.test(await text("#banners"))) throw new Error("released after Escape");
  });
  await step("screen reader: every control, table and chart has an accessible name; the dialog names its effect", async () => {
    const tree = await page.accessibility.snapshot({ interestingOnly: false });
    const unnamed = [];
    const roles = new Set(["button", "textbox", "combobox", "checkbox", "spinbutton", "link", "table", "img"]);
    (function walk(n) {
      if (!n) return;
      if (roles.has(n.role) && !(n.name || "").trim()) unnamed.push(n.role);
      for (const c of n.children || []) walk(c);
    })(tree);
    if (unnamed.length) throw new Error("unnamed: " + unnamed.join(","));
    const d = await page.$eval("#confirm", (e) => [e.getAttribute("aria-labelledby"), e.getAttribute("aria-describedby")]);
    if (d[0] !== "confirm-title" || d[1] !== "confirm-text") throw new Error(d.join("|"));
  });
  await step("readable on a phone (390x844): the banners and the buttons are there", async () => {
    await page.setViewport({ width: 390, height: 844 });
    await shot("09-phone");
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 430) throw new Error("the page is " + w + " px wide on a 390 px screen");
    await page.setViewport({ width: 1280, height: 800 });
  });
  await step("keyboard: Tab reaches the Halt button", async () => {
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press("Tab");
      found = await page.evaluate(() => document.activeElement && document.activeElement.id === "btn-halt");
    }
    if (!found) throw new Error("Halt is not reachable by Tab");
  });
  await step("log out: back to the login page, the stream closed", async () => {
    await page.click("#logout");
    await page.waitForSelector("#login-view", { visible: true, timeout: 10000 });
    const r = await page.evaluate(async () => (await fetch("/api/risk/state")).status);
    if (r !== 401) throw new Error("API after logout: " + r);
  });
  if (cspErrors.length) bad("no CSP violation on the page", cspErrors[0]);
  else ok("no CSP violation on the page");
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
