// Traces the check page's hydration in headless Chromium with the CPU slowed 4x (Lighthouse's
// mobile factor) and prints, per run: the tasks after the first contentful paint until the page
// says it is hydrated, the longest of them, their blocking time (the part of each task over 50 ms,
// as Lighthouse counts it) and the time V8 spent compiling WASM functions on first call.
//
//   node tools/hydration-trace.cjs http://127.0.0.1:3400/ 5
//
// Used by scripts/hydration-trace.sh (which starts the release server); see docs/PERFORMANCE.md.
const { chromium } = require('../end2end/node_modules/playwright');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function trace(browser, url) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const events = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
  const complete = new Promise((resolve) => cdp.on('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.wasm,blink.user_timing,loading',
    transferMode: 'ReportEvents',
  });
  await page.goto(url);
  // The page marks <body data-hydrated> when every part is hydrated; read in the page's own time.
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true', null, { polling: 50, timeout: 60_000 });
  const hydratedAt = await page.evaluate(() => performance.now());
  await page.waitForTimeout(300);
  await cdp.send('Tracing.end');
  await complete;
  await page.close();

  const nav = events.find((e) => e.name === 'navigationStart');
  const fcp = events.find((e) => e.name === 'firstContentfulPaint');
  if (!nav || !fcp) throw new Error('no navigationStart or firstContentfulPaint in the trace');
  const end = nav.ts + hydratedAt * 1000;
  const tasks = events
    .filter((e) => e.name === 'RunTask' && e.tid === fcp.tid && e.ts >= fcp.ts && e.ts <= end && e.dur > 0)
    .map((e) => e.dur / 1000);
  const compile = events
    .filter((e) => e.name === 'wasm.CompileLazy' && e.tid === fcp.tid)
    .reduce((sum, e) => sum + e.dur / 1000, 0);
  return {
    fcp: (fcp.ts - nav.ts) / 1000,
    hydrated: hydratedAt,
    longest: Math.max(0, ...tasks),
    over50: tasks.filter((t) => t > 50).map((t) => Math.round(t)),
    blocking: tasks.reduce((sum, t) => sum + Math.max(0, t - 50), 0),
    compile,
  };
}

(async () => {
  const url = process.argv[2] || 'http://127.0.0.1:3400/';
  const runs = Number(process.argv[3] || 5);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  console.log('| run | FCP | hydrated | longest task | tasks over 50 ms | blocking time | lazy WASM compile |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (let i = 1; i <= runs; i++) {
    const r = await trace(browser, url);
    console.log(`| ${i} | ${r.fcp.toFixed(0)} ms | ${r.hydrated.toFixed(0)} ms | ${r.longest.toFixed(0)} ms | ${r.over50.join(', ') || 'none'} | ${r.blocking.toFixed(0)} ms | ${r.compile.toFixed(0)} ms |`);
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
