import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import { OrgsService } from '../orgs/orgs.service.js';
import { UsersService } from '../users/users.service.js';
import { PluginResponseDto } from './dto/plugin-response.dto.js';
import type { Plugin } from './registry.entity.js';
import { RegistryInstallations } from './registry-installations.js';

export interface InstalledKeys {
  installed: string[];
  active: string[];
}

/** Plugins as the API answers them: with owner names, installation counts and the caller's installation flags. */
@Injectable()
export class PluginViews {
  constructor(
    private readonly users: UsersService,
    private readonly orgs: OrgsService,
    private readonly installations: RegistryInstallations,
  ) {}

  async responses(plugins: Plugin[], caller: AuthUser | null, mine?: InstalledKeys): Promise<PluginResponseDto[]> {
    if (!plugins.length) return [];
    const userIds = [...new Set(plugins.filter((p) => p.ownerType === 'user' && p.ownerId).map((p) => p.ownerId!))];
    const orgIds = [...new Set(plugins.filter((p) => p.ownerType === 'org' && p.ownerId).map((p) => p.ownerId!))];
    const [users, orgs, counts, keys] = await Promise.all([
      this.users.findByIds(userIds),
      this.orgs.findByIds(orgIds),
      this.installations.countInstallations(plugins.map((p) => p.key)),
      mine ?? (caller ? this.installations.keysFor(caller) : Promise.resolve({ installed: [], active: [] })),
    ]);
    const names = new Map<string, string>([
      ...users.map((u) => [u.id, u.name] as [string, string]),
      ...orgs.map((o) => [o.id, o.slug] as [string, string]),
    ]);
    const installed = new Set(keys.installed);
    const active = new Set(keys.active);
    return plugins.map((plugin) =>
      PluginResponseDto.from({
        plugin,
        owner: {
          type: plugin.ownerType,
          id: plugin.ownerId,
          name: plugin.ownerType === 'system' ? 'system' : (names.get(plugin.ownerId ?? '') ?? ''),
        },
        installed: installed.has(plugin.key),
        active: active.has(plugin.key),
        installations: counts.get(plugin.key) ?? 0,
      }),
    );
  }

  async response(plugin: Plugin, caller: AuthUser | null): Promise<PluginResponseDto> {
    const [view] = await this.responses([plugin], caller);
    return view;
  }
}
