import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiErrorResponses,
  ApiPaginatedResponse,
  Authenticated,
  type AuthUser,
  CurrentUser,
  page,
  type Paginated,
  PaginationQueryDto,
} from '@app/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PatchedPluginDto } from './dto/patched-plugin.dto.js';
import { PluginListQueryDto } from './dto/plugin-list-query.dto.js';
import { PluginDetailResponseDto, PluginResponseDto, PublishResultResponseDto } from './dto/plugin-response.dto.js';
import { CreatePluginReviewDto, PluginReviewResponseDto } from './dto/plugin-review.dto.js';
import { PatchedPluginVersionDto, PluginVersionResponseDto } from './dto/plugin-version.dto.js';
import { PublishPluginDto } from './dto/publish-plugin.dto.js';
import { PluginReviewsService } from './plugin-reviews.service.js';
import { RegistryService } from './registry.service.js';

@ApiTags('registry')
@Controller('plugins')
@Authenticated()
export class RegistryController {
  constructor(
    private readonly registry: RegistryService,
    private readonly reviews: PluginReviewsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Browse the catalog',
    description:
      'Plugins you can see: public ones with an approved version, your organisations’ org-scoped ones, and ' +
      'everything you own in any state. Filter, search and order; installation flags are yours.',
  })
  @ApiPaginatedResponse(PluginResponseDto)
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: PluginListQueryDto,
    @Req() req: FastifyRequest,
  ): Promise<Paginated<PluginResponseDto>> {
    return page(req, query, (w) => this.registry.catalog(caller, query, w), PluginResponseDto.from);
  }

  @Post()
  @HttpCode(201)
  @ApiErrorResponses(409, 422)
  @ApiOperation({
    summary: 'Publish a plugin or a new version',
    description:
      'A new key creates the plugin, owned by you or by `owner_org`; an existing key adds a version (its ' +
      'owners only). The manifest is validated and every violation listed by path (`manifest.…`). Versions ' +
      'start `pending` (or `draft`), are immutable, and `key@version` can never be reused. Files above the ' +
      'upload limit are refused with LIMIT_EXCEEDED.',
  })
  async create(@CurrentUser() caller: AuthUser, @Body() dto: PublishPluginDto): Promise<PublishResultResponseDto> {
    const r = await this.registry.publish(caller, dto);
    return {
      created: r.created,
      plugin: PluginResponseDto.from(r.plugin),
      version: PluginVersionResponseDto.from(r.version, r.tags, true),
    };
  }

  @Get(':plugin')
  @ApiOperation({
    summary: 'Retrieve a plugin',
    description: 'The listing with its latest manifest, the versions you can see, dependents and your installation.',
  })
  async retrieve(@CurrentUser() caller: AuthUser, @Param('plugin') key: string): Promise<PluginDetailResponseDto> {
    return PluginDetailResponseDto.fromDetail(await this.registry.get(caller, key));
  }

  @Patch(':plugin')
  @ApiOperation({ summary: 'Update a plugin listing', description: 'Listing fields and scope; the plugin’s owners.' })
  async partialUpdate(
    @CurrentUser() caller: AuthUser,
    @Param('plugin') key: string,
    @Body() dto: PatchedPluginDto,
  ): Promise<PluginResponseDto> {
    return PluginResponseDto.from(await this.registry.update(caller, key, dto));
  }

  @Delete(':plugin')
  @HttpCode(204)
  @ApiErrorResponses(409)
  @ApiOperation({
    summary: 'Unpublish a plugin',
    description:
      'Owners or admins; only when it has no installations and no installed plugin depends on it. The key ' +
      'and its versions stay reserved.',
  })
  async destroy(@CurrentUser() caller: AuthUser, @Param('plugin') key: string): Promise<void> {
    await this.registry.remove(caller, key);
  }

  @Get(':plugin/versions')
  @ApiOperation({
    summary: 'List versions',
    description: 'Newest first. Others see approved versions; the plugin’s owners see every status.',
  })
  @ApiPaginatedResponse(PluginVersionResponseDto)
  listVersions(
    @CurrentUser() caller: AuthUser,
    @Param('plugin') key: string,
    @Query() query: PaginationQueryDto,
    @Req() req: FastifyRequest,
  ): Promise<Paginated<PluginVersionResponseDto>> {
    return page(
      req,
      query,
      (w) => this.registry.listVersions(caller, key, w),
      (v) => PluginVersionResponseDto.from(v.version, v.tags, v.isManager),
    );
  }

  @Get(':plugin/versions/:version')
  @ApiOperation({ summary: 'Retrieve a version', description: 'Manifest, files, size, checksum and integrity.' })
  async retrieveVersion(
    @CurrentUser() caller: AuthUser,
    @Param('plugin') key: string,
    @Param('version') version: string,
  ): Promise<PluginVersionResponseDto> {
    const v = await this.registry.getVersion(caller, key, version);
    return PluginVersionResponseDto.from(v.version, v.tags, v.isManager);
  }

  @Patch(':plugin/versions/:version')
  @ApiErrorResponses(409)
  @ApiOperation({
    summary: 'Deprecate, yank or submit a version',
    description:
      'The plugin’s owners: set a deprecation message (null removes it), yank or restore, or submit a draft ' +
      'with status `pending`. The content never changes.',
  })
  async partialUpdateVersion(
    @CurrentUser() caller: AuthUser,
    @Param('plugin') key: string,
    @Param('version') version: string,
    @Body() dto: PatchedPluginVersionDto,
  ): Promise<PluginVersionResponseDto> {
    const v = await this.registry.patchVersion(caller, key, version, dto);
    return PluginVersionResponseDto.from(v.version, v.tags, v.isManager);
  }

  @Get(':plugin/versions/:version/download')
  @ApiProduces('application/gzip')
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier download.' })
  @ApiOkResponse({
    description:
      'The artifact: a gzip’d tarball with `package/manifest.json` and the files. ETag is the `"<integrity>"`.',
    content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiResponse({ status: 304, description: 'Not modified: the If-None-Match ETag is current.' })
  @ApiOperation({
    summary: 'Download a version',
    description: 'The artifact bytes, byte-identical to what `size`, `checksum` and `integrity` describe. Counted.',
  })
  async download(
    @CurrentUser() caller: AuthUser,
    @Param('plugin') key: string,
    @Param('version') version: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer | undefined> {
    const r = await this.registry.download(caller, key, version, ifNoneMatch);
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

  @Get(':plugin/reviews')
  @ApiOperation({ summary: 'List ratings', description: 'Ratings and reviews of a plugin, newest first.' })
  @ApiPaginatedResponse(PluginReviewResponseDto)
  listReviews(
    @CurrentUser() caller: AuthUser,
    @Param('plugin') key: string,
    @Query() query: PaginationQueryDto,
    @Req() req: FastifyRequest,
  ): Promise<Paginated<PluginReviewResponseDto>> {
    return page(
      req,
      query,
      (w) => this.reviews.list(caller, key, w),
      (r) => PluginReviewResponseDto.from(r.review, r.userName),
    );
  }

  @Post(':plugin/reviews')
  @ApiErrorResponses(409)
  @ApiCreatedResponse({ type: PluginReviewResponseDto, description: 'Your first rating of this plugin.' })
  @ApiOkResponse({ type: PluginReviewResponseDto, description: 'Your existing rating, replaced.' })
  @ApiOperation({
    summary: 'Rate a plugin',
    description: 'One rating (1-5) and text per user and plugin; posting again replaces yours. Not your own plugins.',
  })
  async createReview(
    @CurrentUser() caller: AuthUser,
    @Param('plugin') key: string,
    @Body() dto: CreatePluginReviewDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PluginReviewResponseDto> {
    const r = await this.reviews.rate(caller, key, dto);
    void reply.status(r.created ? 201 : 200);
    return PluginReviewResponseDto.from(r.review, r.userName);
  }
}
