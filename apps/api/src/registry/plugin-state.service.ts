import { Injectable } from '@nestjs/common';
import { displayVersion, distTags, pluginStatus } from './dist-tags.js';
import { listingOf } from './manifest-info.js';
import { PluginVersionRepository } from './persistence/plugin-version.repository.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import type { ListingFields, Plugin } from './registry.entity.js';

const editedListing = (plugin: Plugin): Partial<ListingFields> =>
  Object.fromEntries(plugin.editedFields.map((f) => [f, plugin[f]]));

/** What a plugin derives from its versions: status, dist-tags, the displayed version and its listing. */
@Injectable()
export class PluginStateService {
  constructor(
    private readonly plugins: PluginRepository,
    private readonly versions: PluginVersionRepository,
  ) {}

  /**
   * Recomputes the derived fields after a change to the versions. Each change claims a revision first; a write
   * computed from an older revision never overwrites one computed from a newer one.
   */
  async refresh(key: string): Promise<void> {
    const rev = await this.plugins.bumpRev(key);
    const [plugin, states] = await Promise.all([this.plugins.find(key), this.versions.states(key)]);
    if (!plugin) return;
    const display = displayVersion(states);
    let listing;
    if (display && display !== plugin.displayVersion) {
      const v = await this.versions.find(key, display);
      // What PATCH edited stays: the manifest's listing fills only the fields nobody edited.
      if (v) listing = { ...listingOf(v.manifest), ...editedListing(plugin) };
    }
    const published = states.map((s) => s.publishedAt.getTime());
    await this.plugins.writeDerived(key, rev, {
      status: pluginStatus(states),
      hasApproved: states.some((s) => s.status === 'approved'),
      distTags: distTags(states),
      displayVersion: display,
      lastPublishedAt: published.length ? new Date(Math.max(...published)) : null,
      listing,
    });
  }
}
