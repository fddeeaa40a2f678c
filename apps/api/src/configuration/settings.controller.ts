import { Body, Get, Patch, Put, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, ListRoute, Paging, PathParam, PluginKeyParam, Twin } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { SETTING_KEY_PATTERN } from '@app/plugin-sdk';
import {
  INSTALLATION_TARGET_NOTE,
  InstallationTargetQueryDto,
  PagedInstallationTargetQueryDto,
} from '../installation/dto/installation-query.dto.js';
import {
  INSTALLATION_WRITE_ERRORS,
  InvalidConfigError,
  NotInstalledError,
  PackageUnreadableError,
} from '../installation/installation.errors.js';
import { UnknownSettingError } from './configuration.errors.js';
import { PluginSettingDto, PluginSettingsQueryDto, SettingValueDto } from './dto/setting.dto.js';
import { SettingsService } from './settings.service.js';

const WRITE_NOTE =
  ' The value is checked like a PATCH of …/config/ with that one key (400 PLUGIN_CONFIGURATION_ERROR naming ' +
  '`configuration.<key>`); null puts it back to its default, a secret given as `***hidden***` keeps its value. ' +
  'The running plugin sees it from its next call, unless the setting is restart_required.';

const SettingKeyParam = () =>
  PathParam('key', {
    pattern: SETTING_KEY_PATTERN,
    maxLength: 64,
    description: 'The setting key, as the manifest names it.',
    message: 'must be a setting key: lower-case letters, digits and underscores, starting with a letter',
    example: 'batch_size',
  });

/** InvenTree's plugin settings: one setting at a time, over the installation's configuration. */
@ApiController('configuration', 'plugins')
@Twin(
  'patch',
  'put',
  Patch(':plugin/settings/:key'),
  ApiOkResponse({ type: PluginSettingDto }),
  Endpoint({
    summary: 'Change one setting of an installation',
    description: 'The same as PUT: a setting has one value.' + WRITE_NOTE + INSTALLATION_TARGET_NOTE,
    errors: [...INSTALLATION_WRITE_ERRORS, InvalidConfigError, UnknownSettingError, PackageUnreadableError],
  }),
)
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  @ListRoute(PluginSettingDto, {
    path: 'settings',
    summary: 'List the settings of your installations',
    description:
      'Every setting of every installation in your own targets (yours, your organisations’, the global ones), ' +
      'in plugin order; `plugin__key` keeps one plugin, `plugin__active` active installations (or the others). ' +
      'Secrets that are set show `***hidden***`.',
  })
  all(
    @CurrentUser() caller: AuthUser,
    @Query() query: PluginSettingsQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<PluginSettingDto>> {
    return this.settings
      .all(caller, { active: query.plugin__active, pluginKey: query.plugin__key }, window)
      .then((slice) => ({ count: slice.count, items: slice.items.map((v) => PluginSettingDto.from(v)) }));
  }

  @ListRoute(PluginSettingDto, {
    path: ':plugin/settings',
    operationId: 'plugins_installation_settings_list',
    summary: 'List an installation’s settings',
    description:
      'Each setting of the installation with its definition and value, in manifest order. Anyone who may see the ' +
      'installation may read them; secrets that are set show `***hidden***`.' +
      INSTALLATION_TARGET_NOTE,
    errors: [NotInstalledError, PackageUnreadableError],
  })
  async list(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: PagedInstallationTargetQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<PluginSettingDto>> {
    const { limit: _limit, offset: _offset, ...target } = query;
    const slice = await this.settings.list(caller, key, target, window);
    return { count: slice.count, items: slice.items.map((v) => PluginSettingDto.from(v)) };
  }

  @Get(':plugin/settings/:key')
  @ApiOkResponse({ type: PluginSettingDto })
  @Endpoint({
    summary: 'Get one setting of an installation',
    description:
      'The setting with its definition and value; a key the manifest does not declare is 404.' +
      INSTALLATION_TARGET_NOTE,
    errors: [NotInstalledError, UnknownSettingError, PackageUnreadableError],
  })
  async get(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @SettingKeyParam() setting: string,
    @Query() query: InstallationTargetQueryDto,
  ): Promise<PluginSettingDto> {
    return PluginSettingDto.from(await this.settings.one(caller, key, query, setting));
  }

  @Put(':plugin/settings/:key')
  @ApiOkResponse({ type: PluginSettingDto })
  @Endpoint({
    summary: 'Set one setting of an installation',
    description: 'Sets the value.' + WRITE_NOTE + INSTALLATION_TARGET_NOTE,
    errors: [...INSTALLATION_WRITE_ERRORS, InvalidConfigError, UnknownSettingError, PackageUnreadableError],
  })
  async put(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @SettingKeyParam() setting: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() body: SettingValueDto,
  ): Promise<PluginSettingDto> {
    return PluginSettingDto.from(await this.settings.write(caller, key, query, setting, body.value));
  }
}
