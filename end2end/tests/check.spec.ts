import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import { bareURL, CABLE, caseId, gotoHydrated, LAMP, limitedURL, watchConsole } from './helpers';

const paste = (page: Page) => page.getByLabel('Links or a post');

async function checkAndWait(page: Page, count: number) {
  await page.getByTestId('check').click();
  await expect(page.getByTestId('progress')).toContainText(`Checked ${count} of ${count}`);
}

test('one link: the card shows kind, status, band, estimate, warnings and the affiliate link', async ({ page }) => {
  const console = watchConsole(page);
  // Product images come from the CDN the gateway names; no test leaves the machine.
  await page.route('https://*.alicdn.com/**', (route) =>
    route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="72" height="72"/>' }),
  );
  await gotoHydrated(page, '/');
  await page.getByTestId('country').selectOption('PT');
  await page.getByTestId('amount').fill('');
  await page.getByTestId('sub').fill('');
  await paste(page).fill(`https://pt.aliexpress.com/item/${LAMP}.html?aff_fcid=abc&sk=x`);
  await checkAndWait(page, 1);
  const card = page.getByTestId('result-card');
  await expect(card).toHaveCount(1);
  await expect(card).toHaveAttribute('data-status', 'hot_sale');
  await expect(card.getByTestId('status-badge')).toHaveText('Hot sale');
  await expect(card).toContainText('Desk lamp');
  await expect(card.locator('[data-testid=thumb] img')).toHaveAttribute('src', `https://ae01.alicdn.com/kf/${LAMP}.jpg`);
  await expect(card).toContainText('Product');
  await expect(card.getByTestId('band-label')).toHaveText('up to 70%');
  await expect(card).toContainText('exact 12.5%');
  await expect(card.locator('svg.band-bar')).toBeVisible();
  await expect(card).toContainText('3 days');
  await expect(card.getByTestId('warnings').locator('li[data-code="foreign_affiliate_params_removed"]')).toBeVisible();
  await expect(card.getByTestId('affiliate-link')).toHaveValue(
    `https://network.example/deeplink?to=https%3A%2F%2Faliexpress.com%2Fitem%2F${LAMP}.html&sub=`,
  );
  // The notes are folded away.
  await expect(card.locator('details.notes')).not.toHaveAttribute('open', '');
  // The address now shows this check again, for sharing.
  await expect(page).toHaveURL(new RegExp(`\\?url=.*${LAMP}.*&country=PT`));
  console.assertClean();
});

test('an s.click link is refused with a message saying what to paste instead', async ({ page }) => {
  await gotoHydrated(page, '/');
  await paste(page).fill('https://s.click.aliexpress.com/e/_c3vkSW1v');
  await expect(page.getByTestId('scan-summary')).toHaveText('1 link: 0 usable, 1 refused');
  await checkAndWait(page, 1);
  const card = page.getByTestId('result-card');
  await expect(card).toHaveAttribute('data-code', 'short_link_rejected');
  await expect(card.getByTestId('refusal')).toContainText('paste the product page address');
});

test('twenty lines with bad ones: progress, table, copy all and the CSV file', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await gotoHydrated(page, '/');
  await page.getByTestId('country').selectOption('KZ');
  await page.getByTestId('amount').fill('20');
  await page.getByTestId('sub').fill('tg-1');
  const lines: string[] = [];
  for (let i = 0; i < 20; i++) {
    if (i % 5 === 2) lines.push(`https://s.click.aliexpress.com/e/_bad${i}`);
    else if (i % 5 === 4) lines.push(`https://example.com/item/${caseId(i)}.html`);
    else lines.push(`https://aliexpress.com/item/${caseId(i)}.html`);
  }
  await paste(page).fill(lines.join('\n'));
  await expect(page.getByTestId('scan-summary')).toHaveText('20 links: 12 usable, 8 refused');
  await page.getByTestId('check').click();
  const progress = page.getByTestId('progress');
  await expect(progress.locator('progress')).toHaveAttribute('max', '20');
  await expect(progress).toContainText('Checked 20 of 20');
  await expect(page.getByTestId('result-card')).toHaveCount(20);
  await expect(page.locator('[data-testid="result-card"][data-status="affiliate"]')).toHaveCount(12);

  await page.getByTestId('table-toggle').click();
  const rows = page.getByTestId('results-table').locator('tbody tr');
  await expect(rows).toHaveCount(20);
  await expect(rows.nth(0)).toContainText('0.72–7% (4.5%)');
  await expect(rows.nth(2)).toContainText('may not count');

  await page.getByTestId('copy-all').click();
  await expect(page.getByTestId('copy-all-status')).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied.split('\n')).toHaveLength(12);
  expect(copied).toContain(`to=https%3A%2F%2Faliexpress.com%2Fitem%2F${caseId(0)}.html&sub=tg-1`);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv').click()]);
  expect(download.suggestedFilename()).toBe('linksmith-check.csv');
  const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
  expect(csv[0]).toBe('input,canonical_url,status,band,exact_rate,estimate,affiliate_link,warnings');
  expect(csv).toHaveLength(21);
  expect(csv[1]).toBe(
    `https://aliexpress.com/item/${caseId(0)}.html,https://aliexpress.com/item/${caseId(0)}.html,affiliate,0.72–7%,4.5%,` +
      `$0.14–$1.40 (exact $0.90),https://network.example/deeplink?to=https%3A%2F%2Faliexpress.com%2Fitem%2F${caseId(0)}.html&sub=tg-1,`,
  );
  expect(csv[3]).toContain(',error,');
  expect(csv[3]).toContain('short_link_rejected');
  expect(csv[5]).toContain('not_aliexpress');
});

test('the Copy button puts the link on the clipboard and says so', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await gotoHydrated(page, '/');
  await page.getByTestId('sub').fill('promo.7');
  await paste(page).fill(`aliexpress.com/item/${CABLE}.html`);
  await checkAndWait(page, 1);
  await page.getByTestId('copy-link').click();
  await expect(page.getByTestId('copy-link-status')).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(`https://network.example/deeplink?to=https%3A%2F%2Faliexpress.com%2Fitem%2F${CABLE}.html&sub=promo.7`);
});

test('the amount changes the estimate in the browser, without a request', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.getByTestId('country').selectOption('US');
  await page.getByTestId('amount').fill('10');
  await paste(page).fill(`https://aliexpress.com/item/${CABLE}.html`);
  await checkAndWait(page, 1);
  const estimate = page.getByTestId('estimate');
  await expect(estimate).toHaveText('$0.08–$0.70 (exact $0.70)');
  let requests = 0;
  page.on('request', () => requests++);
  await page.getByTestId('amount').fill('1000');
  await expect(estimate).toHaveText('$8.00–$38.50 (exact $38.50)');
  await expect(page.locator('li[data-code="order_cap"]')).toBeVisible();
  await page.getByTestId('amount').fill('oops');
  await expect(page.getByText('"oops" is not an amount')).toBeVisible();
  expect(requests).toBe(0);
});

test('Ctrl+Enter checks, and the choices are remembered in the browser', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.getByTestId('country').selectOption('BR');
  await page.getByTestId('sub').fill('remember-me');
  await paste(page).fill(`https://aliexpress.com/item/${CABLE}.html`);
  await paste(page).press('Control+Enter');
  await expect(page.getByTestId('progress')).toContainText('Checked 1 of 1');
  await gotoHydrated(page, '/');
  await expect(page.getByTestId('sub')).toHaveValue('remember-me');
  await expect(page.getByTestId('country')).toHaveValue('BR');
  await page.getByTestId('sub').fill('bad sub!');
  await expect(page.getByText('holds a space')).toBeVisible();
  await expect(page.getByTestId('check')).toBeDisabled();
});

test('rewrite a post: usable links become affiliate links, refused ones stay and are listed', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.getByTestId('sub').fill('');
  const post =
    `🔥 Lamp: https://pt.aliexpress.com/item/${LAMP}.html?aff_fcid=x\n` +
    `Cable → aliexpress.com/item/${CABLE}.html!\n` +
    'Old: https://s.click.aliexpress.com/e/_old';
  await paste(page).fill(post);
  await checkAndWait(page, 3);
  await page.getByTestId('rewrite').click();
  const out = await page.getByTestId('rewritten').inputValue();
  expect(out).toBe(
    `🔥 Lamp: https://network.example/deeplink?to=https%3A%2F%2Faliexpress.com%2Fitem%2F${LAMP}.html&sub=\n` +
      `Cable → https://network.example/deeplink?to=https%3A%2F%2Faliexpress.com%2Fitem%2F${CABLE}.html&sub=!\n` +
      'Old: https://s.click.aliexpress.com/e/_old',
  );
  await expect(page.getByTestId('left-as-is')).toContainText('https://s.click.aliexpress.com/e/_old');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('a shared address renders the result on the server', async ({ page }) => {
    await page.goto(`/?url=${encodeURIComponent(`https://aliexpress.com/item/${CABLE}.html`)}&country=kz&amount=100`);
    const card = page.getByTestId('result-card');
    await expect(card).toHaveAttribute('data-status', 'affiliate');
    await expect(card.getByTestId('band-label')).toHaveText('0.72–7%');
    await expect(card.getByTestId('estimate')).toHaveText('$0.72–$7.00 (exact $7.00)');
    await expect(card).toContainText('15 days');
    await expect(page.getByTestId('country')).toHaveValue('KZ');
  });
  test('the form works without JavaScript', async ({ page }) => {
    await page.goto('/');
    await paste(page).fill(`https://aliexpress.com/item/${LAMP}.html`);
    await page.getByTestId('check').click();
    await expect(page).toHaveURL(/\?url=/);
    await expect(page.getByTestId('result-card')).toHaveAttribute('data-status', 'hot_sale');
  });
});

test('the language switch shows the page in Russian', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.getByRole('link', { name: 'Русский' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Проверка партнёрских ссылок');
  await expect(page.getByRole('button', { name: 'Проверить' })).toBeVisible();
  await expect(page).toHaveTitle('Проверка ссылок · Linksmith');
});

test('without a status source the page says what the operator must set', async ({ page }) => {
  await page.goto(`${bareURL}/`);
  await expect(page.getByTestId('no-status-source')).toContainText('ALIEXPRESS_APP_KEY');
  await expect(page.getByTestId('no-status-source')).toContainText('linksmith import');
  await expect(page.getByTestId('no-tracking')).toContainText('LINKSMITH_LINK_TEMPLATE');
  await page.goto(`${bareURL}/?url=${encodeURIComponent(`https://aliexpress.com/item/${CABLE}.html`)}`);
  await expect(page.getByTestId('result-card')).toHaveAttribute('data-status', 'unknown');
  await expect(page.getByTestId('affiliate-link')).toHaveValue(`https://aliexpress.com/item/${CABLE}.html`);
  await expect(page.locator('li[data-code="tracking_not_configured"]')).toBeVisible();
});

test('the page reads well at phone width', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await gotoHydrated(page, `/?url=${encodeURIComponent(`https://aliexpress.com/item/${LAMP}.html`)}`);
  await expect(page.getByTestId('result-card')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

for (const [name, path] of [
  ['the check page', '/'],
  ['the rates page', '/rates'],
  ['a page of results', `/?url=${encodeURIComponent(`https://aliexpress.com/item/${LAMP}.html\nhttps://s.click.aliexpress.com/e/_x`)}&amount=25`],
]) {
  test(`axe finds no violations on ${name}`, async ({ page }) => {
    await gotoHydrated(page, path);
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
  });
}

test.describe('a Russian-speaking browser', () => {
  test.use({ locale: 'ru-RU' });
  test('gets the page in Russian from Accept-Language, and can switch to English', async ({ page }) => {
    await gotoHydrated(page, '/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Проверка партнёрских ссылок');
    await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
    await expect(page.getByLabel('Ссылки или пост')).toBeVisible();
    await page.locator('#paste').fill('https://s.click.aliexpress.com/e/_x');
    await page.getByTestId('check').click();
    await expect(page.getByTestId('refusal')).toContainText('s.click может не засчитаться');
    await page.getByRole('link', { name: 'English' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check affiliate links');
  });
});

test('everything works by keyboard: paste, check, copy', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await gotoHydrated(page, '/');
  await page.getByTestId('sub').fill('');
  await paste(page).focus();
  await page.keyboard.type(`aliexpress.com/item/${CABLE}.html`);
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('progress')).toContainText('Checked 1 of 1');
  // Tab through the page until the card's Copy button has the focus, then press Enter.
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.getByTestId('copy-link').evaluate((el) => el === document.activeElement)) break;
  }
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('copy-link-status')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(CABLE);
});

test('over the rate limit the page says how long to wait', async ({ page }) => {
  await gotoHydrated(page, `${limitedURL}/`);
  const lines = Array.from({ length: 12 }, (_, i) => `https://aliexpress.com/item/${caseId(i)}.html`);
  await paste(page).fill(lines.join('\n'));
  await checkAndWait(page, 12);
  // The same paste right after: refused (HTTP 429), and the page says for how long.
  await page.getByTestId('check').click();
  const problem = page.getByTestId('check-problem');
  await expect(problem).toHaveAttribute('data-code', 'rate_limited');
  await expect(problem).toContainText(/Wait \d+ s and try again/);
  await expect(page.getByTestId('check')).toBeEnabled();
});

test('a shared address with more links than the server renders: the rest wait for the reader’s click', async ({ page }) => {
  const console = watchConsole(page);
  // Product images come from the CDN the gateway names; no test leaves the machine.
  await page.route('https://*.alicdn.com/**', (route) =>
    route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="72" height="72"/>' }),
  );
  const lines = Array.from({ length: 25 }, (_, i) => `https://aliexpress.com/item/${caseId(i)}.html`);
  const address = `/?url=${encodeURIComponent(lines.join('\n'))}`;
  // The server renders 20 answers and leaves 5 pending.
  const html = await (await page.request.get(address)).text();
  expect(html.match(/data-testid="result-card"/g)?.length).toBe(20);
  expect(html.match(/data-testid="pending-card"/g)?.length).toBe(5);
  // The page's own checks (its server function), with the links each asks for.
  const asked: string[][] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/api/check_links')) {
      asked.push(JSON.parse(r.postData() ?? '{}').inputs ?? ['?']);
    }
  });
  await gotoHydrated(page, address);
  // Once the script runs, nothing more is checked: the page says what waits and asks.
  const waiting = page.getByTestId('waiting');
  await expect(waiting).toContainText('5 more links are waiting');
  await expect(waiting).toContainText('checks its first 20 links');
  const button = page.getByTestId('check-rest');
  await expect(button).toHaveText('Check 5 more links');
  await expect(page.getByTestId('progress')).toContainText('Checked 20 of 25');
  await page.waitForLoadState('networkidle');
  expect(asked).toEqual([]);
  await expect(page.getByTestId('pending-card')).toHaveCount(5);
  const axe = await new AxeBuilder({ page }).include('[data-testid="results"]').analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
  // A click checks the five, and only them.
  await button.click();
  await expect(page.getByTestId('progress')).toContainText('Checked 25 of 25');
  await expect(page.locator('[data-testid="result-card"][data-status="affiliate"]')).toHaveCount(25);
  await expect(waiting).toHaveCount(0);
  expect(asked.flat()).toEqual(lines.slice(20));
  console.assertClean();
});

test('a shared address in Russian asks in Russian', async ({ page }) => {
  const lines = Array.from({ length: 21 }, (_, i) => `https://aliexpress.com/item/${caseId(i)}.html`);
  await gotoHydrated(page, `/?url=${encodeURIComponent(lines.join('\n'))}&lang=ru`);
  await expect(page.getByTestId('waiting')).toContainText('Ещё 1 ссылка ждёт проверки');
  await expect(page.getByTestId('check-rest')).toHaveText('Проверить ещё 1 ссылку');
});

test('back to a shared address within the site: the first 20 links are asked for, the rest wait for a click', async ({ page }) => {
  const lines = Array.from({ length: 25 }, (_, i) => `https://aliexpress.com/item/${caseId(i + 100)}.html`);
  await gotoHydrated(page, '/');
  await paste(page).fill(lines.join('\n'));
  await checkAndWait(page, 25);
  await expect(page).toHaveURL(/\?url=/);
  // To another page of the site and back (no reload): the page asks for the shared address's
  // check itself.
  await page.getByRole('link', { name: 'Rates' }).first().click();
  await expect(page).toHaveURL(/\/rates$/);
  const asked: string[][] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/api/check_links')) {
      asked.push(JSON.parse(r.postData() ?? '{}').inputs ?? ['?']);
    }
  });
  await page.goBack();
  await expect(page.getByTestId('check-rest')).toHaveText('Check 5 more links');
  await expect(page.getByTestId('progress')).toContainText('Checked 20 of 25');
  expect(asked).toEqual([lines.slice(0, 20)]);
});
