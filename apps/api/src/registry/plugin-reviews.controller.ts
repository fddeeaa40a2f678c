import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrors,
  Authenticated,
  type AuthUser,
  CurrentUser,
  PaginatedList,
  PaginationQueryDto,
  type PageWindow,
  Paging,
  PluginKeyParam,
  type Slice,
} from '@app/common';
import type { FastifyReply } from 'fastify';
import { CreatePluginReviewDto, PluginReviewResponseDto } from './dto/plugin-review.dto.js';
import { PluginReviewsService } from './plugin-reviews.service.js';
import { NotRatableError, OwnPluginRatingError } from './registry.errors.js';

@ApiTags('registry')
@Controller('plugins/:plugin/reviews')
@Authenticated()
export class PluginReviewsController {
  constructor(private readonly reviews: PluginReviewsService) {}

  @Get()
  @ApiOperation({ summary: 'List ratings', description: 'Ratings and reviews of a plugin, newest first.' })
  @PaginatedList(PluginReviewResponseDto)
  list(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<PluginReviewResponseDto>> {
    return this.reviews.list(caller, key, window);
  }

  @Post()
  @ApiErrors(NotRatableError, OwnPluginRatingError)
  @ApiCreatedResponse({ type: PluginReviewResponseDto, description: 'Your first rating of this plugin.' })
  @ApiOkResponse({ type: PluginReviewResponseDto, description: 'Your existing rating, replaced.' })
  @ApiOperation({
    summary: 'Rate a plugin',
    description: 'One rating (1-5) and text per user and plugin; posting again replaces yours. Not your own plugins.',
  })
  async create(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: CreatePluginReviewDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PluginReviewResponseDto> {
    const { created, review } = await this.reviews.rate(caller, key, dto);
    void reply.status(created ? 201 : 200);
    return review;
  }
}
