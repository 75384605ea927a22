import { test, expect } from '@playwright/test';
import { gotoHydrated, watchConsole } from './helpers';

test('the campaign check flags brand words in place as the user types', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/campaign');
  const summary = page.getByTestId('campaign-summary');
  await expect(summary).toHaveText('No brand words found.');
  let requests = 0;
  page.on('request', () => requests++);
  await page.getByLabel("Site's domain").fill('deals-aliexpres.com');
  await expect(page.getByTestId('findings-domain').locator('mark')).toHaveText('aliexpres');
  await page.getByLabel('Ad title').fill('Express delivery, great prices');
  await page.getByLabel('Ad text').fill('Everything from Ali Express and Алиэкспресс!');
  const text = page.getByTestId('findings-text');
  await expect(text.locator('mark')).toHaveText(['Ali Express', 'Алиэкспресс']);
  await expect(text).toContainText('Contextual ads must not use it');
  await page.getByLabel('Keywords').fill('phone case\nal1express coupon\nusb cable');
  await expect(page.getByTestId('findings-keywords').locator('mark')).toHaveText('al1express');
  await expect(summary).toHaveText('4 brand words found');
  // The clean title is not flagged.
  await expect(page.getByTestId('findings-title')).toHaveCount(0);
  expect(requests).toBe(0);
  console.assertClean();
});

test('the negative keyword list is copied to the clipboard', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await gotoHydrated(page, '/campaign');
  await expect(page.getByTestId('negative-keywords')).toContainText('алиэкспресс');
  await page.getByRole('button', { name: 'Copy the list' }).click();
  await expect(page.getByTestId('copy-negatives-status')).toHaveText('Copied to the clipboard');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied.split('\n')).toContain('ali express');
  expect(copied.split('\n')).toContain('алибаба');
});

test('the campaign check reads in Russian', async ({ page }) => {
  await gotoHydrated(page, '/campaign?lang=ru');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Проверка кампании');
  await page.getByLabel('Домен сайта').fill('aliexpress-skidki.ru');
  await expect(page.getByTestId('findings-domain')).toContainText('домене');
});
