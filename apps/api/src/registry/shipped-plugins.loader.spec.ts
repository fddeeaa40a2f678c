import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogger, LogOutput } from '@app/common';
import { strictMock } from '@test/support/strict-mock.js';
import { describe, expect, it } from 'vitest';
import { projectFile } from '../config/paths.js';
import { PublishingService } from './publishing.service.js';
import { BUILTIN_MARKER, ShippedPluginsLoader } from './shipped-plugins.loader.js';

function setup(samples: boolean) {
  const publishing = strictMock(PublishingService);
  publishing.registerShipped.mockResolvedValue(true);
  const errors: Array<{ level: string; context: string; dir?: string }> = [];
  const logger = new JsonLogger(new LogOutput('error', (line) => errors.push(JSON.parse(line) as (typeof errors)[0])));
  return {
    publishing,
    errors,
    loader: new ShippedPluginsLoader(publishing, { samples, uploadBytes: 1 << 20 }, logger),
  };
}

function folder(root: string, name: string, builtin: boolean) {
  mkdirSync(join(root, name));
  const manifest = {
    key: `plughub.${name}`,
    name,
    version: '1.0.0',
    description: name,
    runtime: { type: 'remote', entry_point: 'https://x.test' },
  };
  writeFileSync(join(root, name, 'manifest.json'), JSON.stringify(manifest));
  if (builtin) writeFileSync(join(root, name, BUILTIN_MARKER), '');
}

describe('ShippedPluginsLoader', () => {
  it('registers every shipped sample when samples are on', async () => {
    const { loader } = setup(true);
    expect(await loader.load(projectFile('plugins'))).toEqual([
      'plughub.counter',
      'plughub.hello',
      'plughub.webhook-relay',
    ]);
  });

  it('hands over a sample with its runner, README and icon, marked as a sample', async () => {
    const { loader, publishing } = setup(true);
    await loader.load(projectFile('plugins'));
    const hello = publishing.registerShipped.mock.calls.find((c) => (c[0] as { key: string }).key === 'plughub.hello')!;
    expect([Object.keys(hello[1]).sort(), hello[2]]).toEqual([
      ['icon', 'readme', 'runner'],
      { builtin: false, sample: true },
    ]);
  });

  it('skips samples when they are off', async () => {
    const root = mkdtempSync(join(tmpdir(), 'plughub-shipped-'));
    folder(root, 'core', true);
    folder(root, 'demo', false);
    const { loader, publishing } = setup(false);
    expect(await loader.load(root)).toEqual(['plughub.core']);
    expect(publishing.registerShipped.mock.calls[0][2]).toEqual({ builtin: true, sample: false });
  });

  it('registers samples beside builtin plugins when samples are on', async () => {
    const root = mkdtempSync(join(tmpdir(), 'plughub-shipped-'));
    folder(root, 'core', true);
    folder(root, 'demo', false);
    expect(await setup(true).loader.load(root)).toEqual(['plughub.core', 'plughub.demo']);
  });

  it('keeps booting when a shipped manifest is broken, and says so in the log', async () => {
    const root = mkdtempSync(join(tmpdir(), 'plughub-shipped-'));
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'manifest.json'), '{ not json');
    const { loader, errors } = setup(true);
    expect(await loader.load(root)).toEqual([]);
    expect(errors).toMatchObject([{ level: 'error', context: 'ShippedPlugins', dir: 'bad' }]);
  });

  it('reports nothing registered when every version is there already', async () => {
    const { loader, publishing } = setup(true);
    publishing.registerShipped.mockResolvedValue(false);
    expect(await loader.load(projectFile('plugins'))).toEqual([]);
  });
});
