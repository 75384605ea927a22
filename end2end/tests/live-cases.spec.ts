import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { gotoHydrated, watchConsole } from './helpers';

// The live-path table (tests/data/live-cases.json): the fake gateway answers its products as the
// table gives them (FAKE_GATEWAY_CASES), so rows whose only source is the Open Platform, under
// today's rules, can be walked through both the API and the shareable page of the same server.
const table = JSON.parse(readFileSync('../tests/data/live-cases.json', 'utf8'));
const sample = table.cases.filter(
  (row: any) =>
    typeof row.source.api === 'object' &&
    !row.source.catalog &&
    !row.source.page &&
    !row.expect.error &&
    row.date >= '2022-10-20',
);

const dollars = (x: number) => `$${x.toFixed(2)}`;

test('the shareable page and the API agree on the live-path table', async ({ page, request }) => {
  test.setTimeout(120_000);
  expect(sample.length).toBeGreaterThanOrEqual(20);
  const console = watchConsole(page);
  // Product images come from the CDN the gateway names; no test leaves the machine.
  await page.route('https://*.alicdn.com/**', (route) =>
    route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="72" height="72"/>' }),
  );
  for (const row of sample) {
    const body: Record<string, unknown> = { url: row.link, country: row.country };
    if (row.amount !== undefined) body.amount = row.amount;
    const api = await (await request.post('/api/v1/check', { data: body })).json();
    // The API says what the row worked out from the terms...
    expect(api.status, row.name).toBe(row.expect.status);
    expect(api.rate.label, row.name).toBe(row.expect.rate.label);

    // ...and the page says what the API says.
    const params = new URLSearchParams({ url: row.link, country: row.country });
    if (row.amount !== undefined) params.set('amount', String(row.amount));
    await gotoHydrated(page, `/?${params}`);
    const card = page.getByTestId('result-card');
    await expect(card, row.name).toHaveCount(1);
    await expect(card, row.name).toHaveAttribute('data-status', api.status);
    await expect(card.getByTestId('band-label'), row.name).toHaveText(api.rate.label);
    const shown = await card.getByTestId('warnings').locator('li').evaluateAll((items) =>
      items.map((li) => li.getAttribute('data-code')),
    );
    expect(shown.sort(), row.name).toEqual(api.warnings.map((w: any) => w.code).sort());
    if (api.rate.exact_percent !== null) {
      await expect(card.getByTestId('exact-rate'), row.name).toContainText(`${api.rate.exact_percent}%`);
      await expect(card.locator('abbr.approximate'), row.name).toBeVisible();
    }
    if (api.estimate && api.estimate.commission_usd_max !== null) {
      await expect(card.getByTestId('estimate'), row.name).toContainText(dollars(api.estimate.commission_usd_max));
    }
  }
  console.assertClean();
});
