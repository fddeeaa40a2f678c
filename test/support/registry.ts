import { vi } from 'vitest';
import { AccessService } from '../../apps/api/src/auth/access.service.js';
import type { MembershipLookup } from '../../apps/api/src/auth/auth.ports.js';
import { OrgsService } from '../../apps/api/src/orgs/orgs.service.js';
import { CatalogService } from '../../apps/api/src/registry/catalog.service.js';
import { ModerationService } from '../../apps/api/src/registry/moderation.service.js';
import { PluginRatingRepository } from '../../apps/api/src/registry/persistence/plugin-rating.repository.js';
import { PluginVersionRepository } from '../../apps/api/src/registry/persistence/plugin-version.repository.js';
import { PluginRepository } from '../../apps/api/src/registry/persistence/plugin.repository.js';
import { RegistryWriteEpoch } from '../../apps/api/src/registry/persistence/registry-epoch.js';
import { PluginReviewsService } from '../../apps/api/src/registry/plugin-reviews.service.js';
import { PluginStateService } from '../../apps/api/src/registry/plugin-state.service.js';
import { PluginVersionsService } from '../../apps/api/src/registry/plugin-versions.service.js';
import { PluginViews } from '../../apps/api/src/registry/plugin-views.js';
import { PublishingService } from '../../apps/api/src/registry/publishing.service.js';
import type { VersionState } from '../../apps/api/src/registry/registry.entity.js';
import { RegistryAccess } from '../../apps/api/src/registry/registry-access.js';
import { RegistryInstallations } from '../../apps/api/src/registry/registry-installations.js';
import { UsersService } from '../../apps/api/src/users/users.service.js';
import { TestClock } from './clock.js';
import { recordingBus } from './fixtures.js';
import { FakeInstallations } from './installations.js';
import { strictMock } from './strict-mock.js';

/**
 * The registry's services wired as the module wires them, over strictly mocked repositories and neighbours: every
 * rule runs for real, every database call must be one the spec expects.
 */
export function registryHarness(options: { uploadBytes?: number } = {}) {
  const plugins = strictMock(PluginRepository);
  const versions = strictMock(PluginVersionRepository);
  const ratings = strictMock(PluginRatingRepository);
  const users = strictMock(UsersService);
  users.findByIds.mockResolvedValue([]);
  const orgs = strictMock(OrgsService);
  orgs.findByIds.mockResolvedValue([]);
  const memberships = {
    rolesOf: vi.fn<MembershipLookup['rolesOf']>().mockResolvedValue(new Map()),
    findOrg: vi.fn<MembershipLookup['findOrg']>().mockResolvedValue(null),
  };
  const access = new AccessService(memberships);
  const installed = new FakeInstallations();
  const clock = new TestClock();
  const installations = new RegistryInstallations(installed, access, clock);
  const registry = new RegistryAccess(plugins, access);
  // Every read a new generation of the write epoch: the services' rules, not what the views keep, are under test.
  let generation = 0;
  const epoch = strictMock(RegistryWriteEpoch);
  epoch.current.mockImplementation(() => Promise.resolve(++generation));
  epoch.contentCurrent.mockImplementation(() => Promise.resolve(++generation));
  const views = new PluginViews(users, orgs, installations, epoch, clock);
  const state = new PluginStateService(plugins, versions);
  const { bus, emitted } = recordingBus();
  const config = { uploadBytes: options.uploadBytes ?? 2048, samples: false };
  return {
    plugins,
    versions,
    ratings,
    users,
    orgs,
    memberships,
    epoch,
    installed,
    emitted,
    clock,
    state,
    publishing: new PublishingService(plugins, versions, access, registry, state, views, users, bus, config, clock),
    catalog: new CatalogService(plugins, versions, registry, views, installations, clock),
    pluginVersions: new PluginVersionsService(plugins, versions, registry, state, bus, epoch, clock),
    reviews: new PluginReviewsService(ratings, plugins, registry, users),
    moderation: new ModerationService(plugins, versions, state, registry, installations, bus, clock),
  };
}

export type RegistryHarness = ReturnType<typeof registryHarness>;

/** Answers the calls PluginStateService.refresh makes, for versions in `states`. */
export function expectRefresh(h: RegistryHarness, states: VersionState[]): void {
  h.plugins.bumpRev.mockResolvedValue(1);
  h.versions.states.mockResolvedValue(states.map((s) => ({ ...s, publishedAt: new Date(0) })));
  h.plugins.writeDerived.mockResolvedValue(undefined);
}
