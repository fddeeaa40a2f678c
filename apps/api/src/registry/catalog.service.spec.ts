import { caller, pluginFixture } from '@test/support/fixtures.js';
import { type RegistryHarness, registryHarness } from '@test/support/registry.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogCriteria } from './registry.entity.js';

let h: RegistryHarness;
beforeEach(() => {
  h = registryHarness();
});

describe('CatalogService', () => {
  it('answers PLUGIN_NOT_FOUND, never FORBIDDEN, for a plugin the caller may not see', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ scope: 'private' }));
    await expect(h.catalog.get(caller('u1'), 'acme.x')).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
  });

  it('answers PLUGIN_NOT_FOUND for a key that does not exist', async () => {
    h.plugins.find.mockResolvedValue(null);
    await expect(h.catalog.get(caller('u1'), 'acme.x')).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
  });

  it('hands the repository the criteria and the ordering as the query gave them', async () => {
    h.plugins.catalog.mockResolvedValue({ count: 0, items: [] });
    await h.catalog.list(caller('u1'), { ordering: '-downloads', search: 'x', tags: ['a'] }, { offset: 0, limit: 20 });
    const [viewer, criteria, ordering] = h.plugins.catalog.mock.calls[0];
    expect([viewer.id, criteria, ordering]).toEqual(['u1', { search: 'x', tags: ['a'] }, '-downloads']);
  });

  it('turns the installed and active filters into key sets', async () => {
    h.installed.installed = ['a.one', 'a.two'];
    h.installed.active = ['a.two'];
    h.plugins.catalog.mockResolvedValue({ count: 0, items: [] });
    await h.catalog.list(caller('u1'), { installed: true, active: false }, { offset: 0, limit: 20 });
    const criteria: CatalogCriteria = h.plugins.catalog.mock.calls[0][1];
    expect([criteria.keysIn, criteria.keysNotIn]).toEqual([['a.one', 'a.two'], ['a.two']]);
  });

  it('refuses to unpublish a plugin that is installed somewhere', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ ownerId: 'u1' }));
    h.installed.counts.set('acme.x', 2);
    await expect(h.catalog.remove(caller('u1'), 'acme.x')).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'installed', installations: 2 },
    });
  });

  it('refuses to unpublish a plugin installed plugins depend on', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ ownerId: 'u1' }));
    h.installed.dependents.set('acme.x', 1);
    await expect(h.catalog.remove(caller('u1'), 'acme.x')).rejects.toMatchObject({
      code: 'PLUGIN_DEPENDENCY_ERROR',
      details: { reason: 'installed_dependents' },
    });
  });

  it('lets only the plugin’s owners change its listing', async () => {
    h.plugins.find.mockResolvedValue(pluginFixture({ ownerId: 'someone' }));
    await expect(h.catalog.update(caller('u1'), 'acme.x', { name: 'Mine' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'not_owner' },
    });
  });
});
