import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('works with no environment at all', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.mongodbUri).toBeNull();
    expect(config.jwt.secret).toBeNull();
    expect(config.admin.email).toBe('admin@plughub.local');
    expect(config.samples).toBe(true);
    expect(config.limits.uploadBytes).toBe(5 * 1024 * 1024);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ PLUGHUB_JWT_SECRET: 'short' }, 'PLUGHUB_JWT_SECRET'],
    [{ PLUGHUB_JWT_TTL: '5' }, 'PLUGHUB_JWT_TTL'],
    [{ PLUGHUB_ADMIN_EMAIL: 'nobody' }, 'PLUGHUB_ADMIN_EMAIL'],
    [{ PLUGHUB_ADMIN_PASSWORD: '123' }, 'PLUGHUB_ADMIN_PASSWORD'],
    [{ PLUGHUB_LOG_LEVEL: 'loud' }, 'PLUGHUB_LOG_LEVEL'],
    [{ PLUGHUB_OPEN_SIGNUP: 'maybe' }, 'PLUGHUB_OPEN_SIGNUP'],
    [{ PLUGHUB_PAGE_SIZE: '500', PLUGHUB_MAX_PAGE_SIZE: '100' }, 'PLUGHUB_PAGE_SIZE'],
    [{ NATS_URL: 'http://x' }, 'NATS_URL'],
  ])('%o stops start-up naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('turns samples off in production by default', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).samples).toBe(false);
  });
});
