import { Get, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, PluginKeyParam } from '@app/common';
import type { AuthUser } from '@app/common';
import { InstallationTargetQueryDto } from '../installation/dto/installation-query.dto.js';
import { NotInstalledError } from '../installation/installation.errors.js';
import { PluginHealthResponseDto } from './dto/plugin-health.dto.js';
import { PluginHealthService } from './plugin-health.service.js';

/** An installation's health (§4 health row). */
@ApiController('health', 'plugins')
export class PluginHealthController {
  constructor(private readonly health: PluginHealthService) {}

  @Get(':plugin/health')
  @ApiOkResponse({ type: PluginHealthResponseDto })
  @Endpoint({
    summary: 'Get an installation’s health',
    description:
      'The last background check of the installation (every PLUGHUB_PLUGIN_HEALTH_INTERVAL_MS; one runs now if ' +
      'none has yet): the plugin’s onHealth checks (failing when it does not answer within ' +
      'PLUGHUB_PLUGIN_HEALTH_TIMEOUT_MS), `error_rate` over the last 5 minutes, `runtime` (whether an instance ' +
      'serves calls) and the installation’s registry errors (`registry_<stage>`, from GET /api/plugins/status/), ' +
      'with requests per minute, error rate and memory. Always 200: the status is data. The installation is ' +
      'chosen with `scope` (user, the default: yours; org with `org`; global) and `org`; one you may not see is 404.',
    errors: [NotInstalledError],
  })
  get(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
  ): Promise<PluginHealthResponseDto> {
    return this.health.get(caller, key, query);
  }
}
