import { expect, test } from '@playwright/test';
import { CABLE, gotoHydrated, watchConsole } from './helpers';

// The page hydrates in stages (src/app/deferred.rs): the frame, then each part in a task of its
// own. Each part must take the data the server rendered it with (not ask the server again), match
// the server's HTML (no hydration error), and take no box of its own in the layout.
for (const [name, path] of [
  ['the check page', '/'],
  ['a shared address', `/?url=${encodeURIComponent(`https://aliexpress.com/item/${CABLE}.html`)}`],
  ['the rates page', '/rates'],
  ['the campaign page', '/campaign'],
  ['the check page in Russian', '/?lang=ru'],
]) {
  test(`${name} hydrates in stages from the server's data, asking the server nothing`, async ({ page }) => {
    const console = watchConsole(page);
    // Product images come from the CDN the gateway names; no test leaves the machine.
    await page.route('https://*.alicdn.com/**', (route) =>
      route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="72" height="72"/>' }),
    );
    const asked: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/')) asked.push(url.pathname);
    });
    await gotoHydrated(page, path);
    expect(asked, 'server functions called while the page hydrated').toEqual([]);
    const wrappers = await page.locator('.deferred').evaluateAll((els) =>
      els.map((el) => getComputedStyle(el).display),
    );
    expect(wrappers.length, 'parts hydrated in tasks of their own').toBeGreaterThan(2);
    expect(new Set(wrappers)).toEqual(new Set(['contents']));
    console.assertClean();
  });
}

test('remembered choices are applied once every part is hydrated, and the parts are live', async ({ page }) => {
  const console = watchConsole(page);
  await gotoHydrated(page, '/');
  await page.evaluate(() => {
    localStorage.setItem('linksmith.country', 'KZ');
    localStorage.setItem('linksmith.sub', 'remembered');
  });
  await gotoHydrated(page, '/');
  await expect(page.getByTestId('country')).toHaveValue('KZ');
  await expect(page.getByTestId('sub')).toHaveValue('remembered');
  await page.getByLabel('Links or a post').fill(`https://aliexpress.com/item/${CABLE}.html`);
  await expect(page.getByTestId('scan-summary')).toContainText('1 usable');
  console.assertClean();
});
