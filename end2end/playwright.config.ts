import { defineConfig } from '@playwright/test';

// The release server (target/release/linksmith) is started here, from the repository root, and the
// tests wait until /healthz answers. A port of its own keeps it apart from a server on 3000.
const port = process.env.LINKSMITH_E2E_PORT ?? '3100';
const baseURL = `http://127.0.0.1:${port}`;
const barePort = process.env.LINKSMITH_E2E_BARE_PORT ?? '3101';
const limitedPort = process.env.LINKSMITH_E2E_LIMITED_PORT ?? '3102';
const pastePort = process.env.LINKSMITH_E2E_PASTE_PORT ?? '3103';
const unlimitedPort = process.env.LINKSMITH_E2E_UNLIMITED_PORT ?? '3104';
const gatewayPort = process.env.LINKSMITH_E2E_GATEWAY_PORT ?? '3198';
const epnPort = process.env.LINKSMITH_E2E_EPN_PORT ?? '3196';
const admitadPort = process.env.LINKSMITH_E2E_ADMITAD_PORT ?? '3197';
const secret = 'e2e-secret-never-in-a-page';

// A release server on its own port and store, with the environment given.
function releaseServer(port: string, db: string, env: Record<string, string>) {
  return {
    command: './target/release/linksmith',
    cwd: '..',
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: { LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, RUST_LOG: 'warn', LINKSMITH_DB: `target/e2e/${db}`, ...env },
  };
}

// The Open Platform as the test suite fakes it (the tests check this secret never reaches a page).
const openPlatform = {
  ALIEXPRESS_API_URL: `http://127.0.0.1:${gatewayPort}/sync`,
  ALIEXPRESS_APP_KEY: '500123',
  ALIEXPRESS_APP_SECRET: secret,
  ALIEXPRESS_TRACKING_ID: 'e2e_tracking',
};

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
  // Local processes, all on loopback: the test suite's fake Open Platform gateway and fake networks
  // (built by `cargo test` as examples), the release server using them with a link template, a
  // bare release server with no status source at all, and one with a small rate limit.
  webServer: [
    {
      command: './target/debug/examples/fake_gateway',
      cwd: '..',
      url: `http://127.0.0.1:${gatewayPort}/healthz`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        FAKE_GATEWAY_ADDR: `127.0.0.1:${gatewayPort}`,
        FAKE_GATEWAY_KEY: '500123',
        FAKE_GATEWAY_SECRET: secret,
        FAKE_GATEWAY_CASES: 'tests/data/live-cases.json',
      },
    },
    {
      // ePN and Admitad, as the test suite fakes them.
      command: './target/debug/examples/fake_networks',
      cwd: '..',
      url: `http://127.0.0.1:${admitadPort}/healthz`,
      timeout: 30_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        FAKE_EPN_ADDR: `127.0.0.1:${epnPort}`,
        FAKE_ADMITAD_ADDR: `127.0.0.1:${admitadPort}`,
      },
    },
    releaseServer(port, 'linksmith.db', {
      LINKSMITH_LINK_TEMPLATE: 'https://network.example/deeplink?to={url}&sub={sub}',
      ...openPlatform,
    }),
    releaseServer(barePort, 'bare.db', {}),
    // A small rate limit (12 links at once, then one a second); its status sources are the networks
    // alone (the Open Platform would decide first).
    releaseServer(limitedPort, 'limited.db', {
      LINKSMITH_API_RATE: '1',
      LINKSMITH_API_BURST: '12',
      EPN_CLIENT_ID: 'e2e-epn',
      EPN_CLIENT_SECRET: 'e2e-epn-secret',
      EPN_API_URL: `http://127.0.0.1:${epnPort}/api`,
      EPN_OAUTH_URL: `http://127.0.0.1:${epnPort}/oauth`,
      ADMITAD_CLIENT_ID: 'e2e-admitad',
      ADMITAD_CLIENT_SECRET: 'e2e-admitad-secret',
      ADMITAD_API_URL: `http://127.0.0.1:${admitadPort}/`,
    }),
    // The full-paste test's page server: the default rate limits, a bucket of its own. Its
    // Open Platform ceiling holds a whole paste at once (1,000 links are 50 calls; the default
    // 300 a minute gives a burst of 50, and which of a batch's calls get no turn in time depends
    // on timing): the test compares the page's answers with the API's, not the ceiling.
    releaseServer(pastePort, 'paste.db', { ALIEXPRESS_API_CALLS_PER_MINUTE: '6000', ...openPlatform }),
    // The full-paste test's API baseline: the same sources, the rate limit off.
    releaseServer(unlimitedPort, 'unlimited.db', {
      LINKSMITH_API_RATE: 'off',
      ALIEXPRESS_API_CALLS_PER_MINUTE: '6000',
      ...openPlatform,
    }),
  ],
});
