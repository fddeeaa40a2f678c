import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestApp, type TestApp } from './support/app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Debian's chromium; a developer machine without it skips this file (CI never does).
const available = existsSync(CHROMIUM) || !!process.env.CI;

// Rendering the whole document in a browser is slow on a shared, loaded machine: bounds, not verdicts on speed.
describe.skipIf(!available)('Swagger UI in a real browser', { timeout: 240_000 }, () => {
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

  /** Opens an operation, presses Try it out, and returns its locator. */
  async function openDocs(): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(180_000);
    await page.goto(`${t.baseUrl}/api/docs/`);
    return page;
  }

  async function tryOut(page: Page, operationId: string, tag: string) {
    const op = page.locator(`#operations-${tag}-${operationId}`);
    await op.locator('.opblock-summary').click();
    await op.locator('button.try-out__btn').click();
    return op;
  }

  async function execute(op: Locator): Promise<{ status: string; body: string }> {
    await op.locator('button.execute').click();
    const row = op.locator('.live-responses-table tr.response').first();
    await row.locator('.response-col_status').waitFor({ timeout: 120_000 });
    return {
      status: (await row.locator('.response-col_status').innerText()).trim(),
      body: await row.locator('.response-col_description pre').first().innerText(),
    };
  }

  async function authorize(page: Page, scheme: string, fill: (box: Locator) => Promise<void>) {
    await page.click('button.btn.authorize');
    const box = page.locator('.auth-container', { hasText: scheme });
    await fill(box);
    await box.locator('button.authorize').click();
    await box.locator('button', { hasText: 'Logout' }).waitFor();
    await page.click('button.close-modal');
  }

  it('logs in exactly as the README says: basicAuth, POST /api/auth/token/, access_token into bearerAuth', async () => {
    const page = await openDocs();

    // "open Authorize, fill basicAuth with that email and password"
    await authorize(page, 'basicAuth', async (box) => {
      await box.locator('input[type=text]').fill(ADMIN.email);
      await box.locator('input[type=password]').fill(ADMIN.password);
    });
    // "run POST /api/auth/token/ (Try it out → Execute)", with the body Swagger UI prefills
    const token = await tryOut(page, 'auth_token_create', 'auth');
    const login = await execute(token);
    expect(login.status).toBe('200');
    const { access_token } = JSON.parse(login.body) as { access_token: string };
    // "copy access_token into bearerAuth, and every operation is yours to try"
    await authorize(page, 'bearerAuth', (box) => box.locator('input').fill(access_token));
    const me = await execute(await tryOut(page, 'auth_me_retrieve', 'auth'));
    expect(me.status).toBe('200');
    expect(me.body).toContain(ADMIN.email);
    await page.close();
  });

  it('prefills harmless bodies: a plain user to create, no password or role change in a user PATCH', async () => {
    const page = await openDocs();
    const prefilled = async (operationId: string) => {
      const op = await tryOut(page, operationId, 'users');
      return JSON.parse(await op.locator('textarea.body-param__text').inputValue()) as Record<string, unknown>;
    };
    const create = await prefilled('users_create');
    expect(create.roles).toEqual(['user']);
    expect(create.password).not.toBe('stringst');
    const patch = await prefilled('users_partial_update');
    expect(Object.keys(patch)).not.toContain('password');
    expect(Object.keys(patch)).not.toContain('roles');
    expect(Object.keys(patch)).not.toContain('is_active');
    await page.close();
  });

  it('authorizes with an API token and runs GET /api/auth/me/ through try-it-out', async () => {
    const jwt = await t.login(ADMIN.email, ADMIN.password);
    const { data } = await t.client({ accessToken: jwt }).POST('/api/auth/api-tokens/', { body: { name: 'swagger' } });
    const page = await openDocs();

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
    await status.waitFor({ timeout: 120_000 });
    expect((await status.innerText()).trim()).toBe('200');
    expect(
      await op.locator('.live-responses-table tr.response .response-col_description').first().innerText(),
    ).toContain(ADMIN.email);
    await page.close();
  });
});
