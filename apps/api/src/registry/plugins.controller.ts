import { Body, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiController, CurrentUser, Endpoint, ListRoute, Paging, PluginKeyParam, UploadBody } from '@app/common';
import type { AuthUser, PageWindow, SerializedSlice } from '@app/common';
import { CatalogService } from './catalog.service.js';
import { PatchedPluginDto } from './dto/patched-plugin.dto.js';
import { PluginListQueryDto } from './dto/plugin-list-query.dto.js';
import { PluginDetailResponseDto, PluginResponseDto, PublishResultResponseDto } from './dto/plugin-response.dto.js';
import { PublishPluginDto } from './dto/publish-plugin.dto.js';
import { PublishingService } from './publishing.service.js';
import {
  DependentsInstalledError,
  NotPluginManagerError,
  OrgPublishingForbiddenError,
  PackageTooLargeError,
  PluginInstalledError,
  PluginKeyRetiredError,
  PluginKeyTakenError,
  PublisherNotYoursError,
  PublisherRoleRequiredError,
  ReservedPublisherError,
  ScopeChangeOnPublishError,
  VersionReusedError,
} from './registry.errors.js';

@ApiController('registry', 'plugins')
export class PluginsController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly publishing: PublishingService,
  ) {}

  @ListRoute(PluginResponseDto, {
    summary: 'Browse the catalog',
    description:
      'Plugins you can see: public ones with an approved version, your organisations’ org-scoped ones, and ' +
      'everything you own in any state. Filter, search and order; installation flags are yours.',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: PluginListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<SerializedSlice> {
    return this.catalog.list(caller, query, window);
  }

  @Post()
  @HttpCode(201)
  @UploadBody()
  @Endpoint({
    summary: 'Publish a plugin or a new version',
    description:
      'A new key creates the plugin, owned by you or by `owner_org`; its publisher segment (before the dot) ' +
      "must be the owner's publisher name: your handle, or the organisation's slug (`plughub.` is reserved). " +
      'An existing key adds a version (its owners only); it keeps the plugin’s scope (a different `scope` is ' +
      'refused: change it with PATCH) and the listing fields PATCH edited (the manifest fills the others). The ' +
      'manifest is validated and every violation listed by path (`manifest.…`). Versions start `pending` (or ' +
      '`draft`), are immutable, and `key@version` can never be reused. Files above the upload limit are ' +
      'refused with LIMIT_EXCEEDED.',
    errors: [
      PluginKeyTakenError,
      PluginKeyRetiredError,
      VersionReusedError,
      PackageTooLargeError,
      ReservedPublisherError,
      NotPluginManagerError,
      PublisherRoleRequiredError,
      OrgPublishingForbiddenError,
      PublisherNotYoursError,
      ScopeChangeOnPublishError,
    ],
  })
  create(@CurrentUser() caller: AuthUser, @Body() dto: PublishPluginDto): Promise<PublishResultResponseDto> {
    return this.publishing.publish(caller, dto);
  }

  @Get(':plugin')
  @Endpoint({
    summary: 'Retrieve a plugin',
    description: 'The listing with its latest manifest, the versions you can see, dependents and your installation.',
  })
  retrieve(@CurrentUser() caller: AuthUser, @PluginKeyParam() key: string): Promise<PluginDetailResponseDto> {
    return this.catalog.get(caller, key);
  }

  @Patch(':plugin')
  @Endpoint({
    summary: 'Update a plugin listing',
    description:
      'Listing fields and scope; the plugin’s owners. A listing field edited here keeps its value when a later ' +
      'version is published (the manifest sets the listing at creation; PATCH wins after).',
    errors: [NotPluginManagerError, PublisherRoleRequiredError],
  })
  partialUpdate(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: PatchedPluginDto,
  ): Promise<PluginResponseDto> {
    return this.catalog.update(caller, key, dto);
  }

  @Delete(':plugin')
  @HttpCode(204)
  @Endpoint({
    summary: 'Unpublish a plugin',
    description:
      'Owners or admins; only when it has no installations and no installed plugin depends on it. The key ' +
      'and its versions stay reserved.',
    errors: [PluginInstalledError, DependentsInstalledError, NotPluginManagerError],
  })
  async destroy(@CurrentUser() caller: AuthUser, @PluginKeyParam() key: string): Promise<void> {
    await this.catalog.remove(caller, key);
  }
}
