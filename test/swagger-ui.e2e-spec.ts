import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestApp, type TestApp } from './support/app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Debian's chromium; a developer machine without it skips this file (CI never does).
const available = existsSync(CHROMIUM) || !!process.env.CI;

describe.skipIf(!available)('Swagger UI in a real browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with an API token and runs GET /api/auth/me/ through try-it-out', async () => {
    const jwt = await t.login(ADMIN.email, ADMIN.password);
    const { data } = await t.client({ accessToken: jwt }).POST('/api/auth/api-tokens/', { body: { name: 'swagger' } });
    const page = await browser.newPage();
    await page.goto(`${t.baseUrl}/api/docs/`);

    await page.click('button.btn.authorize');
    const tokenAuth = page.locator('.auth-container', { hasText: 'tokenAuth' });
    await tokenAuth.locator('input').fill(`Token ${data!.key}`);
    await tokenAuth.locator('button.authorize').click();
    await tokenAuth.locator('button', { hasText: 'Logout' }).waitFor();
    await page.click('button.close-modal');

    const op = page.locator('#operations-auth-auth_me_retrieve');
    await op.locator('.opblock-summary').click();
    await op.locator('button.try-out__btn').click();
    await op.locator('button.execute').click();

    const status = op.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    expect((await status.innerText()).trim()).toBe('200');
    expect(
      await op.locator('.live-responses-table tr.response .response-col_description').first().innerText(),
    ).toContain(ADMIN.email);
    await page.close();
  });
});
