import { Body, Controller, Get, Patch, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Authenticated, type AuthUser, CurrentUser, PluginKeyParam } from '@app/common';
import { INSTALLATION_TARGET_NOTE, InstallationTargetQueryDto } from '../installation/dto/installation-query.dto.js';
import {
  NotInstallationManagerError,
  NotInstalledError,
  OperationInProgressError,
} from '../installation/installation.errors.js';
import { MetadataInvalidError, MetadataTooLargeError } from './configuration.errors.js';
import { MetadataChangeDto, MetadataDto } from './dto/metadata.dto.js';
import { MetadataService } from './metadata.service.js';

/** InvenTree's metadata endpoints, on an installation. */
@ApiTags('configuration')
@Controller('plugins')
@Authenticated()
export class MetadataController {
  constructor(private readonly metadata: MetadataService) {}

  @Get(':plugin/metadata')
  @ApiOkResponse({ type: MetadataDto })
  @ApiErrors(NotInstalledError)
  @ApiOperation({
    summary: 'Get an installation’s metadata',
    description:
      'Free-form JSON kept for clients. Anyone who may see the installation may read it.' + INSTALLATION_TARGET_NOTE,
  })
  async get(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
  ): Promise<MetadataDto> {
    return MetadataDto.from(await this.metadata.get(caller, key, query));
  }

  @Put(':plugin/metadata')
  @ApiOkResponse({ type: MetadataDto })
  @ApiErrors(
    MetadataTooLargeError,
    MetadataInvalidError,
    NotInstalledError,
    NotInstallationManagerError,
    OperationInProgressError,
  )
  @ApiOperation({
    summary: 'Replace an installation’s metadata',
    description:
      'The body’s `metadata` becomes the whole metadata (at most 16 KiB as JSON).' + INSTALLATION_TARGET_NOTE,
  })
  async replace(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() body: MetadataChangeDto,
  ): Promise<MetadataDto> {
    return MetadataDto.from(await this.metadata.write(caller, key, query, body.metadata, 'replace'));
  }

  @Patch(':plugin/metadata')
  @ApiOkResponse({ type: MetadataDto })
  @ApiErrors(
    MetadataTooLargeError,
    MetadataInvalidError,
    NotInstalledError,
    NotInstallationManagerError,
    OperationInProgressError,
  )
  @ApiOperation({
    summary: 'Merge into an installation’s metadata',
    description:
      'The top-level keys of the body’s `metadata` replace those of the stored metadata; the others stay (the ' +
      'result at most 16 KiB as JSON).' +
      INSTALLATION_TARGET_NOTE,
  })
  async merge(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() body: MetadataChangeDto,
  ): Promise<MetadataDto> {
    return MetadataDto.from(await this.metadata.write(caller, key, query, body.metadata, 'merge'));
  }
}
