import { Injectable } from '@nestjs/common';
import { type AuthUser, type PageWindow, type Slice, sliceOf } from '@app/common';
import { RepositoryResponseDto } from './dto/repository-response.dto.js';
import { PluginRepository } from './persistence/plugin.repository.js';
import { RegistryAccess } from './registry-access.js';

/** The sources this instance serves plugins from: for now its own registry. */
@Injectable()
export class RepositoriesService {
  constructor(
    private readonly plugins: PluginRepository,
    private readonly registry: RegistryAccess,
  ) {}

  async list(caller: AuthUser, origin: string, window: PageWindow): Promise<Slice<RepositoryResponseDto>> {
    const { count, lastChange } = await this.plugins.summary(await this.registry.viewer(caller));
    const local = RepositoryResponseDto.from({
      name: 'local',
      description: 'The plugin registry of this Plughub instance.',
      url: `${origin}/api/plugins/`,
      kind: 'local',
      pluginCount: count,
      lastSync: lastChange,
    });
    return sliceOf([local], window);
  }
}
