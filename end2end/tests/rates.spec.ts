import { test, expect } from '@playwright/test';
import { gotoHydrated, watchConsole } from './helpers';

test('the rates page shows the table, the dated rules with their sources, and the notes', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/rates');
  await expect(page).toHaveTitle('Commission rates · Linksmith');
  const table = page.getByRole('table');
  await expect(table.getByRole('row', { name: /Affiliate/ }).first()).toContainText('0.72–7%');
  await expect(table.getByRole('row', { name: /Affiliate/ }).first()).toContainText('0.8–7%');
  const brazil = page.locator('li.rule[data-code="brazil_computer_office_zero"]');
  await expect(brazil).toContainText('since 2022-10-20');
  await expect(brazil.locator('blockquote')).toContainText('shipped to Brazil will have a 0% commission rate');
  await expect(page.locator('.notes-list')).toContainText('delivery country must match');
  console.assertClean();
});

test('the calculator answers in the browser, without a request', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/rates');
  let requests = 0;
  page.on('request', () => requests++);
  await page.getByTestId('calc-country').selectOption('KZ');
  await expect(page.getByTestId('calc-band')).toHaveText('0.72–7%');
  await expect(page.getByTestId('calc-commission')).toHaveText('0.72 – 7.00 USD');
  await page.getByTestId('calc-amount').fill('10.99');
  await expect(page.getByTestId('calc-commission')).toHaveText('0.07 – 0.76 USD');
  await page.getByTestId('calc-status').selectOption('hot_sale');
  await page.getByTestId('calc-amount').fill('100');
  await expect(page.getByTestId('calc-band')).toHaveText('up to 70%');
  await expect(page.getByTestId('calc-commission')).toHaveText('— – 38.50 USD');
  await expect(page.getByTestId('calc-answer')).toContainText('per-order cap');
  await page.getByTestId('calc-amount').fill('-5');
  await expect(page.getByTestId('calc-answer').getByRole('alert')).toContainText('is negative');
  expect(requests).toBe(0);
  console.assertClean();
});

test('the rates page reads in Russian', async ({ page }) => {
  await gotoHydrated(page, '/rates?lang=ru');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ставки комиссии');
  await expect(page.getByRole('table')).toContainText('до 70%');
  await expect(page.locator('li.rule[data-code="brazil_computer_office_zero"]')).toContainText('с 2022-10-20');
});

test('each rule once, the traffic rules with their consequences, and names in the page language', async ({ page }) => {
  await gotoHydrated(page, '/rates');
  for (const code of ['zero_commission_category', 'tmall_russia_excluded', 'brazil_computer_office_zero']) {
    await expect(page.locator(`li.rule[data-code="${code}"]`), code).toHaveCount(1);
  }
  // Stores without commission and the 0% categories: one entry, both sentences of the terms.
  await expect(page.locator('li.rule[data-code="zero_commission_category"] blockquote')).toHaveCount(2);
  const conduct = page.getByTestId('conduct');
  await expect(conduct.locator('li[data-id="links_on_aliexpress"]')).toContainText('account is blocked');
  await expect(conduct.locator('li[data-id="cookie_stuffing"]')).toContainText('Totally prohibited');
  await expect(conduct.locator('li[data-id="pirate_sites"]')).toContainText('penalties');
  await expect(conduct.locator('li[data-id="mail_without_consent"]')).toContainText('may refuse to cooperate');
  await expect(conduct.locator('li[data-id="brand_in_domain"]')).toBeVisible();
  await expect(conduct.locator('li[data-id="brand_in_ads"]')).toBeVisible();
  // All the terms say, no stronger: willing clicks, no refund content, no logo in a community's logo,
  // and outside the CIS "all types of arbitrage traffic are allowed except" brand ads.
  await expect(conduct.locator('li[data-id="willing_clicks"]')).toContainText('willing and conscious');
  await expect(conduct.locator('li[data-id="refund_content"]')).toContainText('reputation');
  await expect(conduct.locator('li[data-id="third_party_clear"]')).toContainText('social-network communities');
  await expect(conduct.locator('li[data-id="brand_in_ads"]')).toContainText('every kind of arbitrage traffic is allowed except');
  await expect(conduct.locator('li[data-id="brand_in_ads"]')).not.toContainText('the one traffic type');
  await expect(page.getByTestId('conduct-partial')).toContainText('not the whole');
  await expect(page.locator('main')).toContainText('Orders are confirmed on average in 50–70 days.');

  await gotoHydrated(page, '/rates?lang=ru');
  await expect(page.locator('.hint').first()).toContainText('Казахстан');
  await expect(page.locator('.hint').first()).not.toContainText('Kazakhstan');
  await expect(page.getByTestId('calc-country').locator('option[value="KZ"]')).toHaveText('Казахстан (KZ)');
  await expect(page.getByTestId('conduct').locator('li[data-id="cookie_stuffing"]')).toContainText('Полностью запрещено');
});
