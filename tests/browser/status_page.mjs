// Drives Debian's Chromium (headless, through playwright-core) against the
// agent's status page, once per call, and prints what it saw as one JSON
// line on stdout. The checks are made by tests/integration/
// test_status_browser.py, which starts the agent and the stand-ins.
//
// Usage: node status_page.mjs '<plan JSON>'
//   plan = {url, screenshot, user_data_dir, chromium?, width?, height?,
//           token?: status token to type into the page's form,
//           post?: {body, token, expect_pending}  (POST a txn while the page
//                  is open, then wait for the page to show expect_pending
//                  without reloading),
//           locale?: browser language (sent as Accept-Language),
//           history?: also read the 24-hour timeline once drawn,
//           timeout_ms?}
// Every request the page makes is intercepted: those to the agent go on,
// any other is aborted and reported under "outside".
import { chromium } from "playwright-core";

const plan = JSON.parse(process.argv[2]);
const timeout = plan.timeout_ms || 60000;
const origin = new URL(plan.url).origin;

const FIGURES = [
  "headline-words", "headline-text", "store-id", "fresh",
  "queue-pending", "queue-oldest", "queue-last-seq", "queue-accepted", "queue-rejected",
  "queue-room", "central-state", "central-since", "central-last-ok", "central-next-retry",
  "central-acked", "central-error", "odoo-state", "odoo-age", "odoo-items", "odoo-error",
  "disk-free", "map-used", "cert-days", "cert-expires", "cert-warning", "version",
  "update-state", "update-result", "uptime", "config-version",
];

// Reads every figure the page shows, as a person would see it.
function readPage(ids) {
  const out = {};
  for (const id of ids) {
    const el = document.getElementById(id);
    out[id] = {
      text: el ? el.textContent.trim() : null,
      visible: !!el && !el.closest("[hidden]") && el.getClientRects().length > 0,
      s: el ? el.getAttribute("data-s") : null,
      state: el ? el.getAttribute("data-state") : null,
    };
  }
  const box = document.getElementById("headline");
  out.level = box.getAttribute("data-level");
  out.headline_class = box.className;
  out.headline_color = getComputedStyle(box).backgroundColor;
  out.issues = [...document.querySelectorAll("#issues li")].map((li) => ({
    code: li.getAttribute("data-code"), text: li.textContent.trim() }));
  out.token_form_visible = !document.getElementById("token-box").hidden;
  out.scroll_width = document.documentElement.scrollWidth;
  out.inner_width = window.innerWidth;
  out.meter = Number(document.getElementById("map-meter").getAttribute("value"));
  out.renders = Number(document.body.getAttribute("data-renders") || 0);
  return out;
}

// Every /v1/status document the page received, in order. The page fetches
// one at a time and shows each good one (data-renders counts them), so the
// n-th 200 answer is exactly what the page shows after its n-th render.
function recordStatusAnswers(page) {
  const bodies = [];
  page.on("response", (r) => {
    if (new URL(r.url()).pathname === "/v1/status" && r.status() === 200)
      bodies.push(r.json());
  });
  return bodies;
}

// The timeline as drawn, and every translated word against its table.
function readHistory() {
  const svg = document.querySelector("#history-chart svg");
  const box = (e) => { const r = e.getBoundingClientRect(); return { x: r.x, w: r.width, h: r.height }; };
  const tables = JSON.parse(document.getElementById("i18n").textContent);
  const lang = document.documentElement.lang;
  const mismatch = [];
  for (const e of document.querySelectorAll("[data-i18n]")) {
    const want = (tables[lang] || {})[e.getAttribute("data-i18n")];
    if (e.textContent !== want) mismatch.push(e.getAttribute("data-i18n"));
  }
  return {
    lang,
    samples: Number(document.body.getAttribute("data-history-samples")),
    missing_keys: document.body.getAttribute("data-missing-keys") || "",
    mismatch,
    svg: svg ? box(svg) : null,
    down: [...document.querySelectorAll("#history-chart rect.band-down")].map(box),
    up: document.querySelectorAll("#history-chart rect.band-up").length,
    labels: [...document.querySelectorAll("#history-chart text.band-label")].map((e) => e.textContent),
    ticks: [...document.querySelectorAll("#history-chart text.tick")].map((e) => e.textContent),
    waiting_path: (document.getElementById("history-waiting") || { getAttribute: () => "" }).getAttribute("d").length,
    runs: [...document.querySelectorAll("#history-runs li")].map((li) => ({
      kind: li.getAttribute("data-kind"), text: li.textContent })),
    body_text: document.body.innerText,
    table: tables[lang] || {},
  };
}

const waitRendered = (page) => page.waitForFunction(
  () => document.getElementById("headline").getAttribute("data-level") !== "", null,
  { timeout });

async function main() {
  const result = { requests: [], outside: [], console_errors: [], page_errors: [] };
  const context = await chromium.launchPersistentContext(plan.user_data_dir, {
    executablePath: plan.chromium || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: plan.width || 768, height: plan.height || 1024 },
    locale: plan.locale || "en-US",
    timeout,
  });
  try {
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) {
        result.requests.push(url);
        return route.continue();
      }
      result.outside.push(url);
      return route.abort();
    });
    const page = context.pages()[0] || await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") result.console_errors.push(m.text()); });
    page.on("pageerror", (e) => result.page_errors.push(String(e)));
    const answers = recordStatusAnswers(page);

    await page.goto(plan.url, { waitUntil: "load", timeout });
    if (plan.token) {
      await page.waitForSelector("#token-box:not([hidden])", { timeout });
      result.asked_for_token = true;
      await page.fill("#token-input", plan.token);
      await page.click("#token-box button[type=submit]");
    }
    await waitRendered(page);
    // The figures shown, and the /v1/status answer they were drawn from.
    const shown = await page.evaluate(readPage, FIGURES);
    if (shown.renders < 1 || shown.renders > answers.length)
      throw new Error(`renders ${shown.renders} but ${answers.length} status answers seen`);
    result.status = await answers[shown.renders - 1];
    result.status_answers = answers.length;
    result.shown = shown;
    if (plan.history) {
      await page.waitForFunction(() => document.body.hasAttribute("data-history-samples"), null,
                                 { timeout });
      result.history = await page.evaluate(readHistory);
    }
    await page.screenshot({ path: plan.screenshot, fullPage: true });

    if (plan.post) {
      // The page must pick the new txn up by itself, without a reload.
      await page.evaluate(() => { window.__sameDocument = true; });
      const r = await fetch(origin + "/v1/transactions", {
        method: "POST", body: plan.post.body,
        headers: { "Content-Type": "application/json",
                   Authorization: "Bearer " + plan.post.token } });
      result.post_status = r.status;
      await page.waitForFunction((want) =>
        document.getElementById("queue-pending").textContent === want,
        String(plan.post.expect_pending), { timeout });
      result.refreshed_in_place = await page.evaluate(() => window.__sameDocument === true);
    }
    if (plan.token) {
      // The token is kept for the session: a reload does not ask again.
      await page.reload({ waitUntil: "load" });
      await waitRendered(page);
      result.token_kept = await page.evaluate(() =>
        document.getElementById("token-box").hidden &&
        sessionStorage.getItem("tillsync.status_token") !== null);
    }
  } finally {
    await context.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((e) => {
  process.stderr.write("status_page.mjs: " + (e && e.stack || e) + "\n");
  process.exit(1);
});
