import { expect, Page } from '@playwright/test';

/** Collects console errors and CSP violations; call `assertClean()` at the end of a test. */
export function watchConsole(page: Page) {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
  return {
    assertClean() {
      expect(problems, problems.join('\n')).toEqual([]);
    },
  };
}

/** Opens a page and waits until the WASM bundle has hydrated it. */
export async function gotoHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}
