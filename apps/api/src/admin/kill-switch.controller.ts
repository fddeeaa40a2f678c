import { Body, Delete } from '@nestjs/common';
import { ApiController, CurrentUser, Endpoint, PluginKeyParam, PostAction } from '@app/common';
import type { AuthUser } from '@app/common';
import { NotKilledError, UnknownVersionsError } from './admin.errors.js';
import { AdminPluginResponseDto, KillPluginDto, RevivePluginDto } from './dto/admin-plugin.dto.js';
import { KillSwitchService } from './kill-switch.service.js';

@ApiController('admin', 'admin/plugins', { roles: ['admin'] })
export class KillSwitchController {
  constructor(private readonly killSwitch: KillSwitchService) {}

  @PostAction(':plugin/kill', {
    summary: 'Kill a plugin everywhere',
    description:
      'The emergency stop: every running instance of the plugin (or of the `versions` named; default every ' +
      'version) on every API node stops within a second, its installations become `killed`, and installing, ' +
      'activating, enabling, updating to or messaging it answers 409 PLUGIN_KILLED; the catalog and the detail ' +
      'show it killed. A reason is required; event `plugin.killed`. Killing again replaces the versions and ' +
      'the reason. Platform admins only.',
    errors: [UnknownVersionsError],
  })
  kill(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: KillPluginDto,
  ): Promise<AdminPluginResponseDto> {
    return this.killSwitch.kill(caller, key, dto);
  }

  @Delete(':plugin/kill')
  @Endpoint({
    summary: 'Revive a killed plugin',
    description:
      'Lifts the kill switch: the plugin may be installed and started again, and its killed installations ' +
      'become `disabled` (never silently active; their owners enable them). A reason is required; event ' +
      '`plugin.revived`. A plugin that is not killed is 409. Platform admins only.',
    errors: [NotKilledError],
  })
  revive(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: RevivePluginDto,
  ): Promise<AdminPluginResponseDto> {
    return this.killSwitch.revive(caller, key, dto);
  }
}
