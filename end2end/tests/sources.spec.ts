import { test, expect } from '@playwright/test';
import { gotoHydrated, watchConsole, bareURL, limitedURL } from './helpers';

// The limited server's status sources are ePN and Admitad (examples/fake_networks.rs); each test
// checks a few links, well within its rate limit.
const NETWORKS_HOT = '1005008900000001'; // hot sale at both networks
const NETWORKS_DISAGREE = '1005008900000002'; // ePN: affiliate; Admitad: not in the programme

test('a card says which source decided and how long ago, the others folded away', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, `${limitedURL}/?url=${encodeURIComponent(`https://aliexpress.com/item/${NETWORKS_HOT}.html`)}`);
  const card = page.getByTestId('result-card');
  await expect(card).toHaveAttribute('data-status', 'hot_sale');
  const source = card.getByTestId('source');
  await expect(source).toHaveAttribute('data-source', 'epn');
  await expect(source).toHaveText(/^Status from: ePN, (just now|\d+ min ago)$/);
  const others = card.getByTestId('other-sources');
  await expect(others.locator('li')).toHaveCount(1);
  await expect(others.locator('li[data-source="admitad"]')).toBeHidden();
  await others.locator('summary').click();
  await expect(others.locator('li[data-source="admitad"]')).toContainText('Admitad: Hot sale, 35%');

  // In Russian too.
  await gotoHydrated(page, `${limitedURL}/?lang=ru&url=${encodeURIComponent(`https://aliexpress.com/item/${NETWORKS_HOT}.html`)}`);
  await expect(page.getByTestId('source')).toHaveText(/^Статус от: ePN, (только что|\d+ мин назад)$/);
  console.assertClean();
});

test('sources that disagree are named in a warning', async ({ page, request }) => {
  const api = await (
    await request.post(`${limitedURL}/api/v1/check`, { data: { url: `https://aliexpress.com/item/${NETWORKS_DISAGREE}.html` } })
  ).json();
  expect(api.status_source).toBe('epn');
  expect(api.sources.map((s: any) => s.name)).toEqual(['epn', 'admitad']);
  await gotoHydrated(page, `${limitedURL}/?url=${encodeURIComponent(`https://aliexpress.com/item/${NETWORKS_DISAGREE}.html`)}`);
  const warning = page.getByTestId('warnings').locator('li[data-code="sources_disagree"]');
  await expect(warning).toContainText('ePN: affiliate');
  await expect(warning).toContainText('Admitad: non-affiliate');
});

test('readiness lists every source; the bare server lists every source it could use', async ({ request, page }) => {
  const ready = await (await request.get('/readyz')).json();
  expect(ready).toEqual({ status: 'ready', sources: { api: 'on', epn: 'off', admitad: 'off' }, store: 'ok' });
  const networks = await (await request.get(`${limitedURL}/readyz`)).json();
  expect(networks.sources).toEqual({ api: 'off', epn: 'on', admitad: 'on' });
  const bare = await (await request.get(`${bareURL}/readyz`)).json();
  expect(bare.sources).toEqual({ api: 'off', epn: 'off', admitad: 'off' });
  await gotoHydrated(page, `${bareURL}/`);
  const notice = page.getByTestId('no-status-source');
  for (const name of ['ALIEXPRESS_APP_KEY', 'EPN_CLIENT_ID', 'EPN_CLIENT_SECRET', 'ADMITAD_CLIENT_ID', 'ADMITAD_CLIENT_SECRET', 'linksmith import']) {
    await expect(notice).toContainText(name);
  }
});
