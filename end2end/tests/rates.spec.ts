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
