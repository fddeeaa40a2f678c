import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogger } from '@app/common';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import { projectFile } from '../config/paths.js';
import type { RegistryService } from './registry.service.js';
import { BUILTIN_MARKER, ShippedPluginsLoader } from './shipped-plugins.loader.js';

const loader = (samples: boolean) => {
  const registry = { registerShipped: vi.fn().mockResolvedValue(true) };
  return {
    registry,
    loader: new ShippedPluginsLoader(registry as unknown as RegistryService, { samples } as AppConfig),
  };
};

describe('ShippedPluginsLoader', () => {
  beforeAll(() => JsonLogger.setLevel('silent'));

  it('registers the shipped samples with their runner, README and icon when samples are on', async () => {
    const { registry, loader: l } = loader(true);
    expect(await l.load(projectFile('plugins'))).toEqual(['plughub.counter', 'plughub.hello', 'plughub.webhook-relay']);
    const hello = registry.registerShipped.mock.calls.find((c) => (c[0] as { key: string }).key === 'plughub.hello')!;
    expect(Object.keys(hello[1] as object).sort()).toEqual(['icon', 'readme', 'runner']);
    expect(hello[2]).toEqual({ builtin: false, sample: true });
  });

  it('skips samples when they are off, but never builtin plugins', async () => {
    const root = mkdtempSync(join(tmpdir(), 'plughub-shipped-'));
    for (const [dir, builtin] of [
      ['core', true],
      ['demo', false],
    ] as const) {
      mkdirSync(join(root, dir));
      const manifest = { key: `plughub.${dir}`, name: dir, version: '1.0.0', description: dir };
      writeFileSync(
        join(root, dir, 'manifest.json'),
        JSON.stringify({ ...manifest, runtime: { type: 'remote', entry_point: 'https://x.test' } }),
      );
      if (builtin) writeFileSync(join(root, dir, BUILTIN_MARKER), '');
    }
    const { registry, loader: l } = loader(false);
    expect(await l.load(root)).toEqual(['plughub.core']);
    expect(registry.registerShipped.mock.calls[0][2]).toEqual({ builtin: true, sample: false });
    expect(await loader(true).loader.load(root)).toEqual(['plughub.core', 'plughub.demo']);
  });

  it('keeps booting when a shipped manifest is broken', async () => {
    const root = mkdtempSync(join(tmpdir(), 'plughub-shipped-'));
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'manifest.json'), '{ not json');
    expect(await loader(true).loader.load(root)).toEqual([]);
  });
});
