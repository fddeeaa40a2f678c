import { Body, Get, Headers, Patch, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, ListRoute, PaginationQueryDto, Paging } from '@app/common';
import { PluginKeyParam, VersionParam } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import type { FastifyReply } from 'fastify';
import { PatchedPluginVersionDto, PluginVersionResponseDto } from './dto/plugin-version.dto.js';
import { PluginVersionsService } from './plugin-versions.service.js';
import { NotADraftError, NotPluginManagerError, StaleWriteError } from './registry.errors.js';

@ApiController('registry', 'plugins/:plugin/versions')
export class PluginVersionsController {
  constructor(private readonly versions: PluginVersionsService) {}

  @ListRoute(PluginVersionResponseDto, {
    summary: 'List versions',
    description: 'Newest first. Others see approved versions; the plugin’s owners see every status.',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<PluginVersionResponseDto>> {
    return this.versions.list(caller, key, window);
  }

  @Get(':version')
  @Endpoint({ summary: 'Retrieve a version', description: 'Manifest, files, size, checksum and integrity.' })
  retrieve(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @VersionParam() version: string,
  ): Promise<PluginVersionResponseDto> {
    return this.versions.get(caller, key, version);
  }

  @Patch(':version')
  @Endpoint({
    summary: 'Deprecate, yank or submit a version',
    description:
      'The plugin’s owners: set a deprecation message (null removes it), yank or restore, or submit a draft ' +
      'with status `pending`. The content never changes.',
    errors: [NotADraftError, StaleWriteError, NotPluginManagerError],
  })
  partialUpdate(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @VersionParam() version: string,
    @Body() dto: PatchedPluginVersionDto,
  ): Promise<PluginVersionResponseDto> {
    return this.versions.patch(caller, key, version, dto);
  }

  @Get(':version/download')
  @ApiProduces('application/gzip')
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier download.' })
  @ApiOkResponse({
    description:
      'The artifact: a gzip’d tarball with `package/manifest.json` and the files. ETag is the `"<integrity>"`.',
    content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiResponse({ status: 304, description: 'Not modified: the If-None-Match ETag is current.' })
  @Endpoint({
    summary: 'Download a version',
    description:
      'The artifact bytes, byte-identical to what `size`, `checksum` and `integrity` describe. Counted as a ' +
      'download, except a 304 and a HEAD request (which answers the same headers without the bytes).',
  })
  async download(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @VersionParam() version: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer | undefined> {
    // Fastify answers HEAD with this GET handler; asking about an artifact is not downloading it.
    const count = reply.request.method !== 'HEAD';
    const r = await this.versions.download(caller, key, version, ifNoneMatch, { count });
    void reply.header('etag', r.etag).header('cache-control', 'private, max-age=0, must-revalidate');
    if (r.notModified) {
      void reply.status(304);
      return undefined;
    }
    void reply
      .header('content-type', 'application/gzip')
      .header('content-length', String(r.artifact.size))
      .header('content-disposition', `attachment; filename="${r.filename}"`);
    return r.artifact.bytes;
  }
}
