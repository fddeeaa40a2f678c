import { Body, Get, Put, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, ListRoute, PaginationQueryDto, Paging } from '@app/common';
import { PluginKeyParam } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { INSTALLATION_TARGET_NOTE, InstallationTargetQueryDto } from '../installation/dto/installation-query.dto.js';
import {
  GrantNotRequestedError,
  INSTALLATION_WRITE_ERRORS,
  NotInstalledError,
  PackageUnreadableError,
} from '../installation/installation.errors.js';
import { CapabilityInfoDto } from './dto/capability.dto.js';
import { PermissionsChangeDto, PermissionsDto } from './dto/permissions.dto.js';
import { AboveSecurityLevelError, GrantAndRevokeError, LimitAboveMaximumError } from './permissions.errors.js';
import { PermissionsService } from './permissions.service.js';

/** An installation's capability grants, security level and resource limits (§4 permissions row). */
@ApiController('permissions', 'plugins')
export class PluginPermissionsController {
  constructor(private readonly permissions: PermissionsService) {}

  @Get(':plugin/permissions')
  @ApiOkResponse({ type: PermissionsDto })
  @Endpoint({
    summary: 'Get an installation’s permissions',
    description:
      'What the installed version requests, what is granted and denied (and, of the denied, what an update added ' +
      'that nobody decided on yet), its security level, and the resource limits it runs with. Anyone who may ' +
      'see the installation may read them.' +
      INSTALLATION_TARGET_NOTE,
    errors: [NotInstalledError, PackageUnreadableError],
  })
  async get(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
  ): Promise<PermissionsDto> {
    return PermissionsDto.from(await this.permissions.get(caller, key, query));
  }

  @Put(':plugin/permissions')
  @ApiOkResponse({ type: PermissionsDto })
  @Endpoint({
    summary: 'Grant and revoke capabilities, set the security level and resource limits',
    description:
      'Grants capabilities the installed version requests, revokes granted ones, sets the security level (the ' +
      'riskiest capability it may hold) and grants resource limits up to the platform maximums (null: the ' +
      'default). The running plugin gets the change at once, without a restart: a revoked capability is refused ' +
      'from its next use, a lowered limit applies from its next call. Nothing is written when a field is refused. ' +
      'The installation’s owner (an org admin for an organisation’s, a platform admin for the global one) may ' +
      'change them.' +
      INSTALLATION_TARGET_NOTE,
    errors: [
      ...INSTALLATION_WRITE_ERRORS,
      GrantNotRequestedError,
      GrantAndRevokeError,
      LimitAboveMaximumError,
      AboveSecurityLevelError,
      PackageUnreadableError,
    ],
  })
  async change(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() body: PermissionsChangeDto,
  ): Promise<PermissionsDto> {
    return PermissionsDto.from(await this.permissions.change(caller, key, query, body));
  }
}

/** The capability catalogue (GET /api/permissions/). */
@ApiController('permissions', 'permissions')
export class CapabilitiesController {
  constructor(private readonly permissions: PermissionsService) {}

  @ListRoute(CapabilityInfoDto, {
    summary: 'List the capabilities a plugin can ask for',
    description:
      'The capability catalogue: each capability a manifest may request under `permissions`, what it gives the ' +
      'plugin, how risky it is to grant, and the parameters it takes.',
  })
  list(@Query() _query: PaginationQueryDto, @Paging() window: PageWindow): Slice<CapabilityInfoDto> {
    return this.permissions.catalogue(window);
  }
}
