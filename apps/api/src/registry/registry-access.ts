import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import type { Viewer } from '../auth/auth.entity.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { canSee } from './plugin-visibility.js';
import type { Ownership, Plugin } from './registry.entity.js';
import { pluginNotFound } from './registry.errors.js';

/** The registry's use of AccessService: the caller's viewer, and the plugins it may see. */
@Injectable()
export class RegistryAccess {
  constructor(
    private readonly plugins: PluginRepository,
    private readonly access: AccessService,
  ) {}

  viewer(caller: AuthUser): Promise<Viewer> {
    return this.access.viewer(caller);
  }

  /**
   * The caller's viewer as far as `plugins` need it: memberships are read only when one of them belongs to an
   * organisation (who may see or manage a user's or the system's plugin does not depend on them).
   */
  viewerFor(caller: AuthUser, plugins: readonly Ownership[]): Promise<Viewer> {
    if (plugins.some((p) => p.ownerType === 'org')) return this.viewer(caller);
    return Promise.resolve(this.access.bare(caller));
  }

  /** The plugin if the caller may see it; PLUGIN_NOT_FOUND otherwise (never 403). */
  async visiblePlugin(caller: AuthUser, key: string): Promise<{ plugin: Plugin; viewer: Viewer }> {
    const [plugin, viewer] = await Promise.all([this.plugins.find(key), this.viewer(caller)]);
    if (!plugin || !canSee(viewer, plugin)) throw pluginNotFound();
    return { plugin, viewer };
  }
}
