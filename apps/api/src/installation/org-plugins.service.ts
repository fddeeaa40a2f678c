import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import type { OrgEnablePluginDto } from './dto/install-plugin.dto.js';
import type { InstallationResponseDto } from './dto/installation-response.dto.js';
import { InstallService } from './install.service.js';
import { InstallationsService } from './installations.service.js';
import { LifecycleService } from './lifecycle.service.js';
import { InstallationRepository } from './persistence/installation.repository.js';

/**
 * NetPad's organisation endpoints: enabling a plugin for an organisation installs it there if it is not yet
 * (with its dependencies) and starts it; disabling switches the organisation's installation off, which also
 * switches it off for members who installed it themselves (their effective set).
 */
@Injectable()
export class OrgPluginsService {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly queries: InstallationsService,
    private readonly installer: InstallService,
    private readonly lifecycle: LifecycleService,
  ) {}

  async enable(
    caller: AuthUser,
    key: string,
    org: string,
    dto: OrgEnablePluginDto,
  ): Promise<{ created: boolean; installation: InstallationResponseDto }> {
    const query = { scope: 'org' as const, org };
    const target = await this.queries.target(caller, query, 'manage');
    const existing = await this.installations.findInTarget(key, target);
    if (existing) {
      const started = await this.lifecycle.start(
        existing,
        'activate',
        { kind: 'user', id: caller.id },
        dto.reason ?? null,
      );
      return { created: false, installation: this.queries.response(started) };
    }
    const result = await this.installer.install(
      caller,
      key,
      { version: dto.version, config: dto.config, grants: dto.grants, auto_enable: true },
      query,
    );
    return { created: true, installation: result.installation! };
  }

  async disable(caller: AuthUser, key: string, org: string, reason?: string): Promise<InstallationResponseDto> {
    const found = await this.queries.findForCaller(caller, key, { scope: 'org', org }, 'manage');
    return this.queries.response(await this.lifecycle.stop(found, { kind: 'user', id: caller.id }, { reason }));
  }
}
