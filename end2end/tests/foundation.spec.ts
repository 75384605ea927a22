import { test, expect } from '@playwright/test';
import { gotoHydrated, isBundleFile, watchConsole } from './helpers';

test('the check page renders the shell, paste box and independence notice', async ({ page }) => {
  const console = watchConsole(page);
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle('Check links · Linksmith');
  await expect(page.getByRole('banner')).toContainText('Linksmith');
  await expect(page.getByLabel('Links or a post')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Check' })).toBeVisible();
  await expect(page.getByTestId('independence-notice')).toContainText(
    'not affiliated with, endorsed by or related to AliExpress or Alibaba Group',
  );
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  console.assertClean();
});

test('the page hydrates: the WASM link engine reads each pasted link as the user types', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/');
  const summary = page.getByTestId('scan-summary');
  await expect(summary).toHaveText('No link found yet');
  // The results' code is fetched as the reader starts pasting (static files of the bundle);
  // reading the links asks nothing else.
  let requests = 0;
  page.on('request', (r) => {
    if (!isBundleFile(r.url())) requests++;
  });
  await page.getByLabel('Links or a post').fill(
    '🔥 Deal: https://pt.aliexpress.com/item/1005005248414510.html?aff_fcid=abc&sk=x\n' +
      'Store: https://www.aliexpress.com/store/1101343461\n' +
      'Short: https://s.click.aliexpress.com/e/_c3vkSW1v',
  );
  await expect(summary).toHaveText('3 links: 2 usable, 1 refused');
  const items = page.getByTestId('scan-list').locator('li');
  await expect(items).toHaveCount(3);
  await expect(items.nth(0)).toContainText('https://aliexpress.com/item/1005005248414510.html');
  await expect(items.nth(1)).toContainText('https://aliexpress.com/store/1101343461');
  await expect(items.nth(2)).toContainText('may not count');
  // Answered in the browser: no request was made to the server.
  expect(requests).toBe(0);
  console.assertClean();
});

test('security headers are on the page and the CSP lets the app run', async ({ page }) => {
  const response = await page.goto('/');
  const headers = response!.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  // Hydration worked under this CSP (no violation blocked the WASM).
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
});

test('an unknown address shows a 404 page', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('a shared address echoes the paste verbatim and cannot inject markup', async ({ page }) => {
  const paste = 'https://aliexpress.com/item/1005006295880104.html</textarea><b id="pwn">x</b>&amp;';
  await gotoHydrated(page, '/?url=' + encodeURIComponent(paste));
  await expect(page.locator('#pwn')).toHaveCount(0);
  await expect(page.getByLabel('Links or a post')).toHaveValue(paste);
});

test('the secret and the server-only code stay on the server', async ({ page, request }) => {
  const secret = 'e2e-secret-never-in-a-page';
  for (const path of ['/', '/rates', '/campaign', '/?url=aliexpress.com%2Fitem%2F1005006295880104.html']) {
    const body = await (await request.get(path)).text();
    expect(body, path).not.toContain(secret);
  }
  // The WASM bundle and its JS: the scripts the browser itself fetched to hydrate the page.
  const assets: string[] = [];
  page.on('request', (req) => {
    if (isBundleFile(req.url())) assets.push(req.url());
  });
  await gotoHydrated(page, '/');
  // The main bundle and its JS, the loader of the lazily loaded parts (`--split`), and those parts:
  // the settings panel, the results (loaded by the first check), the rates and the campaign pages.
  expect(assets.filter((url) => url.endsWith('.wasm')).length).toBeGreaterThanOrEqual(1);
  expect(assets.filter((url) => url.endsWith('.js')).length).toBeGreaterThanOrEqual(1);
  await page.getByTestId('settings').locator('summary').click();
  await expect(page.getByTestId('template')).toBeVisible();
  await page.getByLabel('Links or a post').fill('https://aliexpress.com/item/1005006295880104.html');
  await page.getByTestId('check').click();
  await expect(page.getByTestId('result-card')).toHaveCount(1);
  await gotoHydrated(page, '/rates');
  await gotoHydrated(page, '/campaign');
  expect(assets.some((url) => /split_(learn_panel|more_settings)/.test(url))).toBe(true);
  expect(assets.some((url) => /split_results_view/.test(url)), 'the results\' own bundle was read').toBe(true);
  for (const url of new Set(assets)) {
    const bytes = (await (await request.get(url)).body()).toString('latin1');
    // Markers of server-only code: the Open Platform client's method and signing, the stores' schema
    // and PostgreSQL's locks and addresses.
    // (Variable names such as ALIEXPRESS_APP_SECRET may appear: the page tells the operator what to set.)
    for (const word of [secret, 'aliexpress.affiliate.productdetail.get', 'sign_method', 'CREATE TABLE', 'pg_advisory_lock', 'postgres://']) {
      expect(bytes, `${url} holds ${word}`).not.toContain(word);
    }
  }
});

test('the page is painted before the bundle is fetched, and hydrates after', async ({ page }) => {
  await gotoHydrated(page, '/');
  const times = await page.evaluate(() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    resources: performance.getEntriesByType('resource').map((e) => ({ url: e.name, start: e.startTime })),
  }));
  const bundle = times.resources.filter((r) => isBundleFile(r.url)).map((r) => r.start);
  expect(times.paint).toBeDefined();
  // The JS, the WASM and the loader of the lazily loaded parts.
  expect(bundle.length).toBeGreaterThanOrEqual(2);
  for (const start of bundle) expect(start).toBeGreaterThanOrEqual(times.paint!);
});

test('the language chosen on one page is remembered on the next one, loaded afresh', async ({ page }) => {
  await gotoHydrated(page, '/');
  // The switch is a link the page follows without a reload; the page writes the cookie itself.
  await page.locator('.lang-switch a[hreflang="ru"]').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Проверка/);
  const cookie = (await page.context().cookies()).find((c) => c.name === 'i18n_pref_locale');
  expect(cookie?.value).toBe('ru');
  expect(cookie?.path).toBe('/');
  await gotoHydrated(page, '/rates');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
  await gotoHydrated(page, '/?lang=en');
  await gotoHydrated(page, '/campaign');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});

test('links within the site are followed without a reload, with the title, language and history kept right', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/');
  // A value the document keeps only as long as it is not loaded again.
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  const sameDocument = () => page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument === true);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rates' }).click();
  await expect(page).toHaveURL(/\/rates$/);
  await expect(page).toHaveTitle('Commission rates · Linksmith');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Commission rates');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaign check' }).click();
  await expect(page).toHaveTitle('Campaign check · Linksmith');
  await page.locator('.lang-switch a[hreflang="ru"]').click();
  await expect(page).toHaveURL(/\/campaign\?lang=ru$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
  await expect(page).toHaveTitle(/^[^A-Za-z]+· Linksmith$/);
  const description = await page.locator('meta[name=description]').getAttribute('content');
  expect(description).toMatch(/[а-я]/);

  // Back and forward move between the addresses visited, in the same document.
  await page.goBack();
  await expect(page).toHaveURL(/\/campaign$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/rates$/);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('#paste')).toBeVisible();
  await page.goForward();
  await expect(page).toHaveURL(/\/rates$/);
  expect(await sameDocument()).toBe(true);
  console.assertClean();

  // A path that is not a page is the server's: its 404.
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle(/· Linksmith$/);
});
