import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Authenticated, type AuthUser, CurrentUser, PluginKeyParam } from '@app/common';
import { NotKilledError, UnknownVersionsError } from './admin.errors.js';
import { AdminPluginResponseDto, KillPluginDto, RevivePluginDto } from './dto/admin-plugin.dto.js';
import { KillSwitchService } from './kill-switch.service.js';

@ApiTags('admin')
@Controller('admin/plugins')
@Authenticated({ roles: ['admin'] })
export class KillSwitchController {
  constructor(private readonly killSwitch: KillSwitchService) {}

  @Post(':plugin/kill')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Kill a plugin everywhere',
    description:
      'The emergency stop: every running instance of the plugin (or of the `versions` named; default every ' +
      'version) on every API node stops within a second, its installations become `killed`, and installing, ' +
      'activating, enabling, updating to or messaging it answers 409 PLUGIN_KILLED; the catalog and the detail ' +
      'show it killed. A reason is required; event `plugin.killed`. Killing again replaces the versions and ' +
      'the reason. Platform admins only.',
  })
  @ApiErrors(UnknownVersionsError)
  kill(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: KillPluginDto,
  ): Promise<AdminPluginResponseDto> {
    return this.killSwitch.kill(caller, key, dto);
  }

  @Delete(':plugin/kill')
  @ApiOperation({
    summary: 'Revive a killed plugin',
    description:
      'Lifts the kill switch: the plugin may be installed and started again, and its killed installations ' +
      'become `disabled` (never silently active; their owners enable them). A reason is required; event ' +
      '`plugin.revived`. A plugin that is not killed is 409. Platform admins only.',
  })
  @ApiErrors(NotKilledError)
  revive(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: RevivePluginDto,
  ): Promise<AdminPluginResponseDto> {
    return this.killSwitch.revive(caller, key, dto);
  }
}
