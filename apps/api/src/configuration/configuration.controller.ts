import { Body, Get, Patch, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, PluginKeyParam, PostAction } from '@app/common';
import type { AuthUser } from '@app/common';
import { INSTALLATION_TARGET_NOTE, InstallationTargetQueryDto } from '../installation/dto/installation-query.dto.js';
import {
  INSTALLATION_WRITE_ERRORS,
  InvalidConfigError,
  NotInstallationManagerError,
  NotInstalledError,
  PackageUnreadableError,
} from '../installation/installation.errors.js';
import { ConfigurationService } from './configuration.service.js';
import { SecretsAdminOnlyError } from './configuration.errors.js';
import {
  CONFIG_BODY_SCHEMA,
  ConfigQueryDto,
  ConfigurationDto,
  ConfigValidateQueryDto,
  ConfigWriteResultDto,
} from './dto/configuration.dto.js';

const WRITE_NOTE =
  ' Every bad field is reported at once (400 PLUGIN_CONFIGURATION_ERROR, `errors`); nothing is written then. A ' +
  'secret given as `***hidden***` keeps its stored value, `null` clears a setting (its default applies). The ' +
  'running plugin sees the change from its next call, except settings marked restart_required (next start).';

/** An installation's settings (§4 configuration row): read, replace, merge, check. */
@ApiController('configuration', 'plugins')
export class ConfigurationController {
  constructor(private readonly configuration: ConfigurationService) {}

  @Get(':plugin/config')
  @ApiOkResponse({ type: ConfigurationDto })
  @Endpoint({
    summary: 'Get an installation’s settings',
    description:
      'The setting values of the installation; secrets that are set show `***hidden***`, and `secure_fields` ' +
      'lists the secret settings. Anyone who may see the installation may read them. `include_schema` adds each ' +
      'setting’s definition; `include_secrets` shows secrets in clear, to platform administrators only, and is ' +
      'recorded in the audit log.' +
      INSTALLATION_TARGET_NOTE,
    errors: [NotInstalledError, SecretsAdminOnlyError, PackageUnreadableError],
  })
  async get(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: ConfigQueryDto,
  ): Promise<ConfigurationDto> {
    const { include_schema: includeSchema, include_secrets: includeSecrets, ...target } = query;
    return ConfigurationDto.from(await this.configuration.get(caller, key, target, { includeSchema, includeSecrets }));
  }

  @Put(':plugin/config')
  @ApiBody({ schema: CONFIG_BODY_SCHEMA })
  @ApiOkResponse({ type: ConfigWriteResultDto })
  @Endpoint({
    summary: 'Replace an installation’s settings',
    description:
      'The body is the whole configuration: plain settings left out take their default, secrets left out are ' +
      'cleared, required settings must have a value.' +
      WRITE_NOTE +
      INSTALLATION_TARGET_NOTE,
    errors: [...INSTALLATION_WRITE_ERRORS, InvalidConfigError, PackageUnreadableError],
  })
  async replace(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() body: unknown,
  ): Promise<ConfigWriteResultDto> {
    return ConfigWriteResultDto.fromWrite(
      await this.configuration.write(caller, { key, query, body, mode: 'replace' }),
    );
  }

  @Patch(':plugin/config')
  @ApiBody({ schema: CONFIG_BODY_SCHEMA })
  @ApiOkResponse({ type: ConfigWriteResultDto })
  @Endpoint({
    summary: 'Change some of an installation’s settings',
    description: 'Only the settings in the body change.' + WRITE_NOTE + INSTALLATION_TARGET_NOTE,
    errors: [...INSTALLATION_WRITE_ERRORS, InvalidConfigError, PackageUnreadableError],
  })
  async merge(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() body: unknown,
  ): Promise<ConfigWriteResultDto> {
    return ConfigWriteResultDto.fromWrite(await this.configuration.write(caller, { key, query, body, mode: 'merge' }));
  }

  @PostAction(':plugin/config/validate', {
    summary: 'Check settings without writing them',
    description:
      'Checks the body as PUT (`mode=replace`, default) or PATCH (`mode=merge`) would and answers what it would ' +
      'change; nothing is stored and the plugin sees nothing.' +
      INSTALLATION_TARGET_NOTE,
    errors: [InvalidConfigError, NotInstalledError, NotInstallationManagerError, PackageUnreadableError],
  })
  @ApiBody({ schema: CONFIG_BODY_SCHEMA })
  @ApiOkResponse({ type: ConfigWriteResultDto, description: 'The body fits; nothing was written.' })
  async validate(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: ConfigValidateQueryDto,
    @Body() body: unknown,
  ): Promise<ConfigWriteResultDto> {
    const { mode, ...target } = query;
    return ConfigWriteResultDto.fromWrite(
      await this.configuration.validate(caller, { key, query: target, body, mode: mode ?? 'replace' }),
    );
  }
}
