import type { PluginManifest } from '@app/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { platformLimits, resolveLimits } from './grants.js';

const manifest = (limits?: PluginManifest['limits']): PluginManifest => ({
  key: 'acme.x',
  name: 'x',
  version: '1.0.0',
  description: 'x',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  limits,
});

describe('resolveLimits', () => {
  const platform = platformLimits({ defaults: { timeout_ms: 1000, memory_mb: 16 }, max: { timeout_ms: 60_000 } });

  it('gives a manifest that asks for more only the platform defaults', () => {
    expect(resolveLimits({ manifest: manifest({ timeout_ms: 300_000, memory_mb: 512 }) }, platform)).toMatchObject({
      timeout_ms: 1000,
      memory_mb: 16,
    });
  });

  it('lets a manifest restrict itself below the defaults', () => {
    expect(resolveLimits({ manifest: manifest({ timeout_ms: 200, max_pending: 2 }) }, platform)).toMatchObject({
      timeout_ms: 200,
      max_pending: 2,
    });
  });

  it('applies what the installation was granted, up to the platform maximum', () => {
    const granted = resolveLimits(
      {
        manifest: manifest({ timeout_ms: 100 }),
        limits: { timeout_ms: 120_000, memory_mb: 64 },
        storageQuotaBytes: 1e12,
      },
      platform,
    );
    expect(granted).toMatchObject({ timeout_ms: 60_000, memory_mb: 64, storage_quota_bytes: 64 * 1024 * 1024 });
  });

  it('ignores grants and asks that are not positive numbers', () => {
    const limits = { timeout_ms: -1, memory_mb: Number.NaN, max_pending: 0 };
    expect(resolveLimits({ manifest: manifest(limits), limits }, platform)).toEqual({
      timeout_ms: 1000,
      memory_mb: 16,
      max_pending: 16,
      storage_quota_bytes: 1024 * 1024,
    });
  });
});
