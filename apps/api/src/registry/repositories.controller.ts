import { Controller, Get, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiPaginatedResponse,
  Authenticated,
  type AuthUser,
  CurrentUser,
  page,
  type Paginated,
  PaginationQueryDto,
  requestOrigin,
} from '@app/common';
import type { FastifyRequest } from 'fastify';
import { RepositoryResponseDto } from './dto/repository-response.dto.js';
import { RegistryService } from './registry.service.js';

@ApiTags('registry')
@Controller('repositories')
@Authenticated()
export class RepositoriesController {
  constructor(private readonly registry: RegistryService) {}

  @Get()
  @ApiOperation({
    summary: 'List plugin repositories',
    description: 'The sources this instance serves plugins from; its own registry comes first.',
  })
  @ApiPaginatedResponse(RepositoryResponseDto)
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: PaginationQueryDto,
    @Req() req: FastifyRequest,
  ): Promise<Paginated<RepositoryResponseDto>> {
    const url = `${requestOrigin(req)}/api/plugins/`;
    return page(req, query, (w) => this.registry.repositories(caller, url, w), RepositoryResponseDto.from);
  }
}
