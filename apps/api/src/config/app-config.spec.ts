import { describe, expect, it } from 'vitest';
import { ConfigError, decodeSecretKey, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('works with no environment at all', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.database.uri).toBeNull();
    expect(config.auth.jwt.secret).toBeNull();
    expect(config.auth.admin.email).toBe('admin@plughub.local');
    expect(config.registry.samples).toBe(true);
    expect(config.registry.uploadBytes).toBe(5 * 1024 * 1024);
    expect(config.users.hashConcurrency).toBe(2);
    expect(config.runtime.workers).toBeNull();
  });

  it('keeps the data in memory, and no secret on disk, with PLUGHUB_DB_MEMORY', () => {
    const config = loadConfig({ PLUGHUB_DB_MEMORY: 'true' });
    expect([config.database.dataDir, config.auth.secretDir, config.secrets.keyDir]).toEqual([null, null, null]);
  });

  it('takes a 32-byte PLUGHUB_SECRET_KEY in hex or base64, and no fault point unless one is named', () => {
    const hex = 'ab'.repeat(32);
    const base64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ PLUGHUB_SECRET_KEY: hex }).secrets.key).toBe(hex);
    expect(decodeSecretKey(base64)).toEqual(Buffer.alloc(32, 7));
    expect(decodeSecretKey(Buffer.alloc(32, 7).toString('base64url'))).toEqual(Buffer.alloc(32, 7));
    expect(decodeSecretKey(Buffer.alloc(31).toString('base64'))).toBeNull();
    expect(loadConfig({}).installation.faultPoint).toBeNull();
    expect(loadConfig({ PLUGHUB_TEST_FAULT_POINT: 'install.step_written#2' }).installation.faultPoint).toBe(
      'install.step_written#2',
    );
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
    [{ PLUGHUB_HASH_CONCURRENCY: '0' }, 'PLUGHUB_HASH_CONCURRENCY'],
    [{ PLUGHUB_RUNTIME_WORKERS: 'many' }, 'PLUGHUB_RUNTIME_WORKERS'],
    [{ NATS_URL: 'http://x' }, 'NATS_URL'],
    [{ PLUGHUB_METRICS_TOKEN: 'short' }, 'PLUGHUB_METRICS_TOKEN'],
    [{ PLUGHUB_METRICS_RETENTION_DAYS: '0' }, 'PLUGHUB_METRICS_RETENTION_DAYS'],
    [{ PLUGHUB_METRICS_FLUSH_MS: '10' }, 'PLUGHUB_METRICS_FLUSH_MS'],
    [{ PLUGHUB_SECRET_KEY: 'too-short' }, 'PLUGHUB_SECRET_KEY'],
    [{ PLUGHUB_SECRET_KEY: 'a'.repeat(63) }, 'PLUGHUB_SECRET_KEY'],
    [{ PLUGHUB_TEST_FAULT_POINT: 'Not A Point' }, 'PLUGHUB_TEST_FAULT_POINT'],
    [{ PLUGHUB_IDEMPOTENCY_TTL: '1' }, 'PLUGHUB_IDEMPOTENCY_TTL'],
    [{ PLUGHUB_PLUGIN_LOG_RATE: '0' }, 'PLUGHUB_PLUGIN_LOG_RATE'],
    [{ PLUGHUB_PLUGIN_LOG_LINE_CHARS: '10' }, 'PLUGHUB_PLUGIN_LOG_LINE_CHARS'],
    [{ PLUGHUB_PLUGIN_HEALTH_INTERVAL_MS: 'often' }, 'PLUGHUB_PLUGIN_HEALTH_INTERVAL_MS'],
    [{ PLUGHUB_PLUGIN_UNHEALTHY_AFTER: '0' }, 'PLUGHUB_PLUGIN_UNHEALTHY_AFTER'],
    [{ PLUGHUB_PLUGIN_UNHEALTHY_DISABLE_AFTER: '-1' }, 'PLUGHUB_PLUGIN_UNHEALTHY_DISABLE_AFTER'],
    [{ PLUGHUB_INSTALL_URL_ALLOWLIST: 'http://plugins.example.com' }, 'PLUGHUB_INSTALL_URL_ALLOWLIST'],
    [{ PLUGHUB_INSTALL_URL_ALLOWLIST: 'https://plugins.example.com/packages' }, 'PLUGHUB_INSTALL_URL_ALLOWLIST'],
    [{ PLUGHUB_INSTALL_URL_ALLOWLIST: 'plugins.example.com' }, 'PLUGHUB_INSTALL_URL_ALLOWLIST'],
  ])('%o stops start-up naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });

  it('reads PLUGHUB_INSTALL_URL_ALLOWLIST as origins: https, or http on a loopback host', () => {
    expect(loadConfig({}).installation.urlAllowlist).toEqual([]);
    const env = { PLUGHUB_INSTALL_URL_ALLOWLIST: 'https://plugins.example.com/, http://127.0.0.1:8080,http://[::1]:9' };
    expect(loadConfig(env).installation.urlAllowlist).toEqual([
      'https://plugins.example.com',
      'http://127.0.0.1:8080',
      'http://[::1]:9',
    ]);
  });

  it('turns samples off in production by default', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).registry.samples).toBe(false);
  });
});
