import { Body, Get, Patch, Put, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, PluginKeyParam } from '@app/common';
import type { AuthUser } from '@app/common';
import { INSTALLATION_TARGET_NOTE, InstallationTargetQueryDto } from '../installation/dto/installation-query.dto.js';
import { INSTALLATION_WRITE_ERRORS, NotInstalledError } from '../installation/installation.errors.js';
import { MetadataInvalidError, MetadataTooLargeError } from './configuration.errors.js';
import { MetadataChangeDto, MetadataDto } from './dto/metadata.dto.js';
import { MetadataService } from './metadata.service.js';

/** InvenTree's metadata endpoints, on an installation. */
@ApiController('configuration', 'plugins')
export class MetadataController {
  constructor(private readonly metadata: MetadataService) {}

  @Get(':plugin/metadata')
  @ApiOkResponse({ type: MetadataDto })
  @Endpoint({
    summary: 'Get an installation’s metadata',
    description:
      'Free-form JSON kept for clients. Anyone who may see the installation may read it.' + INSTALLATION_TARGET_NOTE,
    errors: [NotInstalledError],
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
  @Endpoint({
    summary: 'Replace an installation’s metadata',
    description:
      'The body’s `metadata` becomes the whole metadata (at most 16 KiB as JSON).' + INSTALLATION_TARGET_NOTE,
    errors: [...INSTALLATION_WRITE_ERRORS, MetadataTooLargeError, MetadataInvalidError],
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
  @Endpoint({
    summary: 'Merge into an installation’s metadata',
    description:
      'The top-level keys of the body’s `metadata` replace those of the stored metadata; the others stay (the ' +
      'result at most 16 KiB as JSON).' +
      INSTALLATION_TARGET_NOTE,
    errors: [...INSTALLATION_WRITE_ERRORS, MetadataTooLargeError, MetadataInvalidError],
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
