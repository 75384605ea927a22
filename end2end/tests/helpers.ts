import { expect, Page } from '@playwright/test';

function hostOf(url: string) {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/** Collects console errors and CSP violations; call `assertClean()` at the end of a test. */
export function watchConsole(page: Page) {
  const problems: string[] = [];
  page.on('console', (msg) => {
    // A product's picture is on AliExpress's image hosts, which this machine cannot reach: the
    // browser reports each failed picture, and the page shows its placeholder instead.
    if (msg.type() === 'error' && /\.alicdn\.com$/.test(hostOf(msg.location().url))) return;
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
  return {
    assertClean() {
      expect(problems, problems.join('\n')).toEqual([]);
    },
  };
}

/** Whether an address is one of the bundle's files (its JS or its WASM) under /pkg/. */
export function isBundleFile(url: string) {
  return /\/pkg\/[^/]+\.(js|wasm)$/.test(new URL(url).pathname);
}

/** Opens a page and waits until the WASM bundle has hydrated it. */
export async function gotoHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** The release server with no status source and no link template (see playwright.config.ts). */
export const bareURL = `http://127.0.0.1:${process.env.LINKSMITH_E2E_BARE_PORT ?? '3101'}`;

/** The release server whose rate limit is 12 links at once, then one a second. */
export const limitedURL = `http://127.0.0.1:${process.env.LINKSMITH_E2E_LIMITED_PORT ?? '3102'}`;

/** Product ids the fake gateway knows (examples/fake_gateway.rs). */
export const LAMP = '1005005248414510'; // hot sale 12.5% (affiliate 5%), "Desk lamp"
export const CABLE = '1005006295880104'; // affiliate 7%, "USB-C cable"
export const caseId = (i: number) => String(1005007000000000n + BigInt(i)); // affiliate 4.5%
