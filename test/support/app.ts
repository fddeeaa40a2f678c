import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createPlughubClient, type PlughubClient } from '@app/client';
import { Clock } from '@app/common';
import { afterAll, beforeAll, expect } from 'vitest';
import { AppModule } from '../../apps/api/src/app.module.js';
import { loadConfig } from '../../apps/api/src/config/app-config.js';
import { configureApp, createAdapter, createLogger, loadSwaggerMetadata } from '../../apps/api/src/create-app.js';
import { PasswordHasher } from '../../apps/api/src/users/password-hasher.js';
import { TestClock } from './clock.js';
import { fastHasher } from './hasher.js';
import { checkResponse } from './spec.js';

export const ADMIN = { email: 'admin@plughub.test', password: 'admin-password-1' };

export type LogLine = Record<string, unknown> & { level: string; context: string; msg: string };

export interface TestAppOptions {
  /** Environment variables on top of the test defaults (in-memory database, fixed secret, known admin). */
  env?: Record<string, string>;
  /** Extra modules, e.g. a global module binding a port that no module binds yet. */
  imports?: Array<Type | DynamicModule>;
  /** Providers to replace: the token and the value to use instead. */
  overrides?: Array<{ provide: unknown; useValue: unknown }>;
  /** Hash passwords at production cost instead of the fast test cost. */
  realPasswordCost?: boolean;
}

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  /** The app's clock: `t.clock.advance(ms)` instead of sleeping. */
  clock: TestClock;
  /** Every line the app logged, parsed, in order (at level info and above unless PLUGHUB_LOG_LEVEL says else). */
  logs: LogLine[];
  /** A client that validates every response against openapi/openapi.json. */
  client(auth?: { accessToken?: string; apiToken?: string; headers?: Record<string, string> }): PlughubClient;
  login(email: string, password: string): Promise<string>;
  /** Creates a user through the admin API and returns a client logged in as them. */
  createUser(input: { email: string; password?: string; name?: string; roles?: string[]; handle?: string }): Promise<{
    id: string;
    token: string;
    client: PlughubClient;
  }>;
  /** Problems found by response validation so far; tests assert it stays empty. */
  contractViolations: string[];
  close(): Promise<void>;
}

/** Boots the whole app on a random loopback port with an in-memory embedded database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    PLUGHUB_DB_MEMORY: 'true',
    PLUGHUB_LOG_LEVEL: 'info',
    PLUGHUB_JWT_SECRET: 'test-secret-test-secret-test-secret-42',
    PLUGHUB_ADMIN_EMAIL: ADMIN.email,
    PLUGHUB_ADMIN_PASSWORD: ADMIN.password,
    NODE_ENV: 'test',
    ...options.env,
  });
  const logs: LogLine[] = [];
  const logger = createLogger(config, (line) => logs.push(JSON.parse(line) as LogLine));
  const clock = new TestClock();
  await loadSwaggerMetadata();

  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config, logger), ...(options.imports ?? [])] })
    .overrideProvider(Clock)
    .useValue(clock);
  if (!options.realPasswordCost) builder = builder.overrideProvider(PasswordHasher).useValue(fastHasher());
  for (const o of options.overrides ?? []) builder = builder.overrideProvider(o.provide).useValue(o.useValue);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(config, logger), {
    logger: logger.child('Nest'),
  });
  await configureApp(app, logger);
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
        handle: input.handle,
      },
    });
    if (!data) throw new Error(`createUser failed: ${JSON.stringify(error)}`);
    const token = await login(input.email, password);
    return { id: data.id, token, client: client({ accessToken: token }) };
  };

  return { app, baseUrl, clock, logs, client, login, createUser, contractViolations, close: () => app.close() };
}

/**
 * Boots one app for the enclosing test file (or describe block) and checks, when it closes, that
 * every response the tests received conformed to openapi/openapi.json.
 */
export function useTestApp(options: TestAppOptions = {}): TestApp {
  let current: TestApp | undefined;
  beforeAll(async () => {
    current = await startTestApp(options);
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
