import { Body, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, ListRoute, PaginationQueryDto, Paging } from '@app/common';
import { PluginKeyParam } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import type { FastifyReply } from 'fastify';
import { CreatePluginReviewDto, PluginReviewResponseDto } from './dto/plugin-review.dto.js';
import { PluginReviewsService } from './plugin-reviews.service.js';
import { NotRatableError, OwnPluginRatingError } from './registry.errors.js';

@ApiController('registry', 'plugins/:plugin/reviews')
export class PluginReviewsController {
  constructor(private readonly reviews: PluginReviewsService) {}

  @ListRoute(PluginReviewResponseDto, {
    summary: 'List ratings',
    description: 'Ratings and reviews of a plugin, newest first.',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<PluginReviewResponseDto>> {
    return this.reviews.list(caller, key, window);
  }

  @Post()
  @Endpoint({
    summary: 'Rate a plugin',
    description: 'One rating (1-5) and text per user and plugin; posting again replaces yours. Not your own plugins.',
    errors: [NotRatableError, OwnPluginRatingError],
  })
  @ApiCreatedResponse({ type: PluginReviewResponseDto, description: 'Your first rating of this plugin.' })
  @ApiOkResponse({ type: PluginReviewResponseDto, description: 'Your existing rating, replaced.' })
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
