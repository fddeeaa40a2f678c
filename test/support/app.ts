import { afterAll, beforeAll, expect } from 'vitest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createPlughubClient, type PlughubClient } from '@app/client';
import { loadConfig } from '../../apps/api/src/config/app-config.js';
import { createApp } from '../../apps/api/src/create-app.js';
import { checkResponse } from './spec.js';

export const ADMIN = { email: 'admin@plughub.test', password: 'admin-password-1' };

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  /** A client that validates every response against openapi/openapi.json. */
  client(auth?: { accessToken?: string; apiToken?: string; headers?: Record<string, string> }): PlughubClient;
  login(email: string, password: string): Promise<string>;
  /** Creates a user through the admin API and returns a client logged in as them. */
  createUser(input: { email: string; password?: string; name?: string; roles?: string[] }): Promise<{
    id: string;
    token: string;
    client: PlughubClient;
  }>;
  /** Problems found by response validation so far; tests assert it stays empty. */
  contractViolations: string[];
  close(): Promise<void>;
}

/** Boots the whole app on a random loopback port with an in-memory embedded database. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({
    PLUGHUB_DB_MEMORY: 'true',
    PLUGHUB_LOG_LEVEL: 'error',
    PLUGHUB_JWT_SECRET: 'test-secret-test-secret-test-secret-42',
    PLUGHUB_ADMIN_EMAIL: ADMIN.email,
    PLUGHUB_ADMIN_PASSWORD: ADMIN.password,
    NODE_ENV: 'test',
    ...env,
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const contractViolations: string[] = [];

  const client: TestApp['client'] = (auth = {}) => {
    const c = createPlughubClient({ baseUrl, ...auth });
    c.use({
      async onResponse({ request, response, schemaPath }) {
        const type = response.headers.get('content-type') ?? '';
        const body = type.includes('json') && response.status !== 204 ? await response.clone().json() : undefined;
        contractViolations.push(...checkResponse(request.method, schemaPath, response.status, body));
        return undefined;
      },
    });
    return c;
  };

  const login = async (email: string, password: string) => {
    const { data, error } = await client().POST('/api/auth/token/', { body: { email, password } });
    if (!data) throw new Error(`login failed for ${email}: ${JSON.stringify(error)}`);
    return data.access_token;
  };

  let adminToken: string | null = null;
  const createUser: TestApp['createUser'] = async (input) => {
    adminToken ??= await login(ADMIN.email, ADMIN.password);
    const password = input.password ?? 'user-password-1';
    const { data, error } = await client({ accessToken: adminToken }).POST('/api/users/', {
      body: {
        email: input.email,
        password,
        name: input.name ?? input.email.split('@')[0],
        roles: input.roles as never,
      },
    });
    if (!data) throw new Error(`createUser failed: ${JSON.stringify(error)}`);
    const token = await login(input.email, password);
    return { id: data.id, token, client: client({ accessToken: token }) };
  };

  return { app, baseUrl, client, login, createUser, contractViolations, close: () => app.close() };
}

/**
 * Boots one app for the enclosing test file (or describe block) and checks, when it closes, that
 * every response the tests received conformed to openapi/openapi.json.
 */
export function useTestApp(env: Record<string, string> = {}): TestApp {
  let current: TestApp | undefined;
  beforeAll(async () => {
    current = await startTestApp(env);
  });
  afterAll(async () => {
    if (!current) return;
    const violations = current.contractViolations;
    await current.close();
    expect(violations).toEqual([]);
  });
  return new Proxy({} as TestApp, {
    get(_target, key: keyof TestApp) {
      if (!current) throw new Error('the test app is not started yet (use it inside a test or hook)');
      return current[key];
    },
  });
}
