// Runs one end-to-end flow of the portal in Debian's Chromium (headless, no browser download),
// against the real app at HEALTHE_URL, with the fixtures the Rust test made (FIXTURES, JSON).
// Every screen a flow passes through is checked by axe-core at phone and desktop width and
// saved as a PNG under SCREENSHOTS. Exit status 0 when the flow passed.
//
//   HEALTHE_URL=http://127.0.0.1:3000 FIXTURES='{...}' node run.mjs book-and-confirm
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { flows } from "./flows.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const BASE = (process.env.HEALTHE_URL || "").replace(/\/$/, "");
const FIXTURES = JSON.parse(process.env.FIXTURES || "{}");
const SHOTS = process.env.SCREENSHOTS || "target/screenshots";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const WIDTHS = { phone: { width: 360, height: 780 }, desktop: { width: 1280, height: 900 } };

const name = process.argv[2];
const flow = flows[name];
if (!BASE || !flow) {
  console.error(`usage: HEALTHE_URL=… node run.mjs <${Object.keys(flows).join("|")}>`);
  process.exit(2);
}

// As root on these machines Chromium needs no sandbox, and must not try the network it cannot
// reach (background networking, component updates, sync): without these it hangs. Playwright
// gives every launch a fresh, empty profile directory of its own.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
mkdirSync(SHOTS, { recursive: true });

const violations = [];
let shotNo = 0;

/** A browser context of its own (a person), at desktop width, with console errors collected. */
async function person(label) {
  // A zone of its own, so times are shown in the person's zone, not the machine's.
  const context = await browser.newContext({ viewport: WIDTHS.desktop, baseURL: BASE, timezoneId: "Europe/Berlin", locale: "en-GB" });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && console.error(`[${label} console] ${m.text()}`));
  page.on("pageerror", (e) => {
    console.error(`[${label} page error] ${e.message}`);
    violations.push(`${label}: script error: ${e.message}`);
  });
  people.push({ page, label });
  return { context, page, label };
}

const people = [];

/**
 * The screen as it is now: axe-core at both widths (0 serious or critical violations), and a
 * screenshot at each. axe runs through the DevTools protocol (`evaluate`), which the page's CSP
 * does not govern, so the CSP under test stays strict.
 */
async function screen(page, title) {
  for (const [wname, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.waitForTimeout(50);
    const result = await page.evaluate(async (src) => {
      if (!window.axe) (0, eval)(src);
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`);
    }, AXE);
    for (const v of result) violations.push(`${name}/${title} at ${wname}: ${v}`);
    // Works at this width: nothing wider than the viewport, so no sideways scrolling.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    if (wide > size.width) violations.push(`${name}/${title} at ${wname}: the page is ${wide} px wide in a ${size.width} px viewport`);
    const file = join(SHOTS, `${name}-${String(++shotNo).padStart(2, "0")}-${title}-${wname}.png`);
    await page.screenshot({ path: file, fullPage: true });
  }
  await page.setViewportSize(WIDTHS.desktop);
}

let failed = false;
try {
  await flow({ base: BASE, fixtures: FIXTURES, person, screen });
} catch (e) {
  failed = true;
  console.error(`flow ${name} failed: ${e.stack || e}`);
  // What each person saw when it failed, for the reviewer.
  for (const { page, label } of people) {
    await page.screenshot({ path: join(SHOTS, `${name}-FAILED-${label}.png`), fullPage: true }).catch(() => {});
    const alerts = await page.locator('[role="alert"], .field-error').allTextContents().catch(() => []);
    if (alerts.length) console.error(`[${label} on screen] ${alerts.join(" | ")}`);
  }
} finally {
  await browser.close();
}
if (violations.length) {
  failed = true;
  console.error(`accessibility (axe-core, serious or critical) and layout:\n  ${violations.join("\n  ")}`);
}
console.log(failed ? `FAIL ${name}` : `ok ${name} (${shotNo} screenshots in ${SHOTS})`);
process.exit(failed ? 1 : 0);
