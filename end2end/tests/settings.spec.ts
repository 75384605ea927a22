import { test, expect } from '@playwright/test';
import { gotoHydrated, watchConsole, CABLE } from './helpers';

// The webmaster's own template, kept in the browser (issue #20; work in progress).
const EPN_DEEP = `https://shopnow.pub/redirect/cpa/o/MYCODE/?to=${encodeURIComponent(`https://aliexpress.com/item/${CABLE}.html`)}&sub=tg&erid=2VtzqwX`;

test('a template learnt from a deep link makes the links of the next check, and survives a reload', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/');
  await page.getByTestId('settings').locator('summary').click();
  await page.getByTestId('deep-link').fill(EPN_DEEP);
  await expect(page.getByTestId('derived')).toContainText('https://shopnow.pub/redirect/cpa/o/MYCODE/?to={url}&sub={sub}');
  await page.getByTestId('use-derived').click();
  await expect(page.getByTestId('template')).toHaveValue('https://shopnow.pub/redirect/cpa/o/MYCODE/?to={url}&sub={sub}');
  await expect(page.getByTestId('template-sample')).toContainText('https://shopnow.pub/redirect/cpa/o/MYCODE/?to=https%3A%2F%2Faliexpress.com');
  await page.getByTestId('sub').fill('vk');
  await page.getByLabel('Links or a post').fill(`https://aliexpress.com/item/${CABLE}.html`);
  await page.getByTestId('check').click();
  await expect(page.getByTestId('affiliate-link')).toHaveValue(
    `https://shopnow.pub/redirect/cpa/o/MYCODE/?to=https%3A%2F%2Faliexpress.com%2Fitem%2F${CABLE}.html&sub=vk`,
  );
  // The shareable address never carries it.
  expect(page.url()).not.toContain('MYCODE');
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('template')).toHaveValue('https://shopnow.pub/redirect/cpa/o/MYCODE/?to={url}&sub={sub}');
  console.assertClean();
});

test('a bad template or deep link is refused with a sentence', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.getByTestId('settings').locator('summary').click();
  await page.getByTestId('deep-link').fill('https://ali.pub/5abcde');
  await expect(page.getByTestId('derive-error')).toContainText('ali.pub is a short link');
  await page.getByTestId('template').fill('http://n.example/?to={url}');
  await expect(page.getByTestId('template-error')).toContainText('The link template is refused');
  await page.getByTestId('template').fill('');
  await expect(page.getByTestId('template-sample')).toContainText('server’s');
});
