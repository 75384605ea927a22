import { test, expect } from '@playwright/test';
import { gotoHydrated, watchConsole } from './helpers';

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

test('the page hydrates: typing updates the live counter, which only the WASM bundle does', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/');
  const counter = page.getByTestId('line-count');
  await expect(counter).toHaveText('Nothing pasted yet');
  await page.getByLabel('Links or a post').fill('https://aliexpress.com/item/1005006295880104.html\n\nhttps://aliexpress.ru/item/4001042311625.html');
  await expect(counter).toHaveText('2 lines');
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
