import { pluginFixture, versionFixture } from '@test/support/fixtures.js';
import { expectRefresh, type RegistryHarness, registryHarness } from '@test/support/registry.js';
import { beforeEach, describe, expect, it } from 'vitest';

const manifest = (version: string, listing: Record<string, unknown>) => ({
  key: 'acme.x',
  version,
  runtime: { type: 'sandbox', entry: 'runner.js' },
  ...listing,
});

let h: RegistryHarness;
beforeEach(() => {
  h = registryHarness();
});

describe('PluginStateService.refresh', () => {
  it('keeps the listing fields PATCH edited and takes the others from the displayed manifest', async () => {
    h.plugins.find.mockResolvedValue(
      pluginFixture({ name: 'Edited name', tags: ['mine'], editedFields: ['name', 'tags'], displayVersion: '1.0.0' }),
    );
    expectRefresh(h, [
      { version: '1.0.0', status: 'approved', yanked: false },
      { version: '1.1.0', status: 'approved', yanked: false },
    ]);
    h.versions.find.mockResolvedValue(
      versionFixture({
        version: '1.1.0',
        manifest: manifest('1.1.0', { name: 'Manifest name', description: 'new words', tags: ['m'] }),
      }),
    );
    await h.state.refresh('acme.x');
    const listing = h.plugins.writeDerived.mock.calls[0][2].listing;
    expect(listing).toMatchObject({ name: 'Edited name', tags: ['mine'], description: 'new words' });
  });
});
