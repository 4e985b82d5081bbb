#!/usr/bin/env node
// The README's picture of a report: a PNG of a report's index.html in headless Chromium.
// Usage: node scripts/report-screenshot.mjs REPORT/index.html OUT.png [WIDTH HEIGHT]
// Regenerate docs/img/report.png from a real run:
//   npm run sweep -- sweeps/smoke.yaml --repeat 3 && npx tcpsweep report results/smoke.csv
//   node scripts/report-screenshot.mjs results/smoke.report/index.html docs/img/report.png
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [indexFile, outFile, width = "1100", height = "1000"] = process.argv.slice(2);
if (!indexFile || !outFile) {
  console.error("usage: node scripts/report-screenshot.mjs REPORT/index.html OUT.png [WIDTH HEIGHT]");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: Number(height) } });
  const url = pathToFileURL(indexFile).href;
  // The report is self-contained: anything but the page itself would be a fetch, and is refused.
  await page.route("**/*", (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: "load" });
  await page.screenshot({ path: outFile, fullPage: process.env.FULL_PAGE === "1" });
} finally {
  await browser.close();
}
console.log(`wrote ${outFile}`);
