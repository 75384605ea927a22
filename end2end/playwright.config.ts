import { defineConfig } from '@playwright/test';

// The release server (target/release/linksmith) is started here, from the repository root, and the
// tests wait until /healthz answers. A port of its own keeps it apart from a server on 3000.
const port = process.env.LINKSMITH_E2E_PORT ?? '3100';
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  use: {
    baseURL,
    browserName: 'chromium',
    trace: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
  },
  webServer: {
    command: './target/release/linksmith',
    cwd: '..',
    url: `${baseURL}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      RUST_LOG: 'warn',
      LINKSMITH_DB: 'target/e2e/linksmith.db',
      // Credentials for an unreachable gateway: the tests check the secret never reaches a page.
      ALIEXPRESS_API_URL: 'http://127.0.0.1:9/sync',
      ALIEXPRESS_APP_KEY: '500123',
      ALIEXPRESS_APP_SECRET: 'e2e-secret-never-in-a-page',
      ALIEXPRESS_TRACKING_ID: 'e2e_tracking',
    },
  },
});
