import { expect, test } from '@playwright/test';
import { caseId, gotoHydrated, watchConsole } from './helpers';

// Issue #18: a full paste (1,000 links, the documented limit of one paste) in the page, against the
// same links through the batch API in the same run. The page's server has the default rate limits
// (one full paste always passes); the API baseline's server has the limit off. Both ask the same
// fake gateway and start with empty stores.
//
// The bounds here are generous (a shared 2-core machine, CI beside it); `scripts/full-paste.sh`
// runs this file with LINKSMITH_MEASURE=1 and prints the figures for docs/PERFORMANCE.md.

export const pasteURL = `http://127.0.0.1:${process.env.LINKSMITH_E2E_PASTE_PORT ?? '3103'}`;
export const unlimitedURL = `http://127.0.0.1:${process.env.LINKSMITH_E2E_UNLIMITED_PORT ?? '3104'}`;

const LINKS = 1000;
const links = Array.from(
  { length: LINKS },
  (_, i) => `https://aliexpress.com/item/${caseId(i)}.html?spm=a2g0o.home.0.0&gatewayAdapt=glo2usa`,
);
const measure = !!process.env.LINKSMITH_MEASURE;

test('a full paste of 1,000 links is listed at once and checked about as fast as the batch API', async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const console = watchConsole(page);
  // Product images come from the CDN the gateway names; no test leaves the machine.
  await page.route('https://*.alicdn.com/**', (route) =>
    route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="72" height="72"/>' }),
  );

  // The baseline: the same links through POST /api/v1/check/batch.
  const apiStart = Date.now();
  const api = await request.post(`${unlimitedURL}/api/v1/check/batch`, {
    data: { urls: links, country: 'US', amount: null, sub: null },
    timeout: 60_000,
  });
  const apiMs = Date.now() - apiStart;
  expect(api.status()).toBe(200);
  const batch = await api.json();
  expect(batch.results).toHaveLength(LINKS);

  await gotoHydrated(page, `${pasteURL}/?country=US`);
  // Long tasks from here on, and the progress bar's value at every frame.
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; progress: number[] };
    w.longTasks = [];
    w.progress = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });

  // Pasting: one input event with the whole text, until the summary counts every link and the
  // list shows its first screenfuls (it draws the rest as the reader scrolls), in a drawn frame.
  const pasteMs = await page.evaluate(async (text) => {
    const area = document.querySelector('#paste') as HTMLTextAreaElement;
    const list = document.querySelector('[data-testid=scan-list]') as HTMLElement;
    const summary = document.querySelector('[data-testid=scan-summary]') as HTMLElement;
    const start = performance.now();
    area.value = text;
    area.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise<void>((done) => {
      const look = () =>
        list.children.length >= 20 && summary.textContent!.includes('1000') ? done() : requestAnimationFrame(look);
      look();
    });
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    return performance.now() - start;
  }, links.join('\n'));
  const pasteLongTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));
  await expect(page.getByTestId('scan-summary')).toContainText('1000');
  // Scrolling down the list draws the rest of it, to the last link.
  const scanItems = page.getByTestId('scan-list').locator('li');
  await expect(async () => {
    await page.mouse.wheel(0, 20_000);
    expect(await scanItems.count()).toBe(LINKS);
  }).toPass({ timeout: 30_000 });
  await expect(scanItems.nth(LINKS - 1)).toContainText(caseId(LINKS - 1));
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    (window as unknown as { longTasks: number[] }).longTasks.length = 0;
  });

  // Checking: from the click until every answer is in (the progress bar full, no card drawn so far
  // still waiting).
  const checkMs = await page.evaluate(async () => {
    const w = window as unknown as { progress: number[] };
    const start = performance.now();
    (document.querySelector('[data-testid=check]') as HTMLButtonElement).click();
    await new Promise<void>((done) => {
      const look = () => {
        const bar = document.querySelector('#check-progress') as HTMLProgressElement | null;
        if (bar) w.progress.push(bar.value);
        const pending = document.querySelectorAll('[data-testid=pending-card]').length;
        if (bar && bar.value === 1000 && pending === 0) done();
        else requestAnimationFrame(look);
      };
      look();
    });
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    return performance.now() - start;
  });
  const { longTasks, progress } = await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; progress: number[] };
    return { longTasks: w.longTasks.splice(0), progress: w.progress };
  });

  // Then to the last card, as a reader scrolling to the end (each step draws the next cards).
  const cards = page.getByTestId('result-card');
  const endStart = Date.now();
  // Jumps to the end of the page, frame after frame, until the last card is drawn.
  await page.evaluate(async (total) => {
    const frame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    for (let i = 0; i < 2000; i++) {
      window.scrollTo(0, document.documentElement.scrollHeight);
      await frame();
      if (document.querySelectorAll('[data-testid=result-card]').length >= total) break;
    }
  }, LINKS);
  await cards.nth(LINKS - 1).scrollIntoViewIfNeeded();
  await expect(cards.nth(LINKS - 1)).toBeInViewport();
  const toLastMs = Date.now() - endStart;
  const scrollLongTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks.splice(0));

  // Every card as the API answers it: status and affiliate link.
  await expect(cards).toHaveCount(LINKS);
  await expect(cards.nth(0)).toHaveAttribute('data-status', batch.results[0].status);
  await expect(cards.nth(LINKS - 1)).toHaveAttribute('data-status', batch.results[LINKS - 1].status);
  await expect(cards.nth(LINKS - 1).getByTestId('affiliate-link')).toHaveValue(
    batch.results[LINKS - 1].affiliate_link,
  );
  await expect(page.getByTestId('check-problem')).toHaveCount(0);
  await expect(page.getByTestId('copy-all')).toBeVisible();

  const distinct = new Set(progress).size;
  const longest = Math.max(0, ...longTasks);
  const report = {
    links: LINKS,
    api_batch_ms: apiMs,
    paste_ms: Math.round(pasteMs),
    paste_long_tasks_ms: pasteLongTasks.map(Math.round),
    check_ms: Math.round(checkMs),
    check_vs_api: +(checkMs / apiMs).toFixed(2),
    bound_ms: 2 * apiMs + 1000,
    progress_values_seen: distinct,
    long_tasks_while_checking: longTasks.length,
    longest_task_ms: Math.round(longest),
    scroll_to_last_card_ms: toLastMs,
    longest_task_scrolling_ms: Math.round(Math.max(0, ...scrollLongTasks)),
  };
  if (measure) process.stdout.write(`FULL-PASTE ${JSON.stringify(report)}\n`);

  // The goals are 300 ms, 2x the API + 1 s and no task over 200 ms; the test allows for a loaded
  // machine (the script's figures are the measurement).
  expect(pasteMs, JSON.stringify(report)).toBeLessThan(1500);
  expect(checkMs, JSON.stringify(report)).toBeLessThan(3 * (2 * apiMs + 1000));
  expect(longest, JSON.stringify(report)).toBeLessThan(600);
  expect(distinct, 'the progress bar moves along').toBeGreaterThanOrEqual(5);
  console.assertClean();
});
