import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  Authenticated,
  type AuthUser,
  CurrentUser,
  PaginatedList,
  PaginationQueryDto,
  type PageWindow,
  Paging,
  RequestOrigin,
  type Slice,
} from '@app/common';
import { RepositoryResponseDto } from './dto/repository-response.dto.js';
import { RepositoriesService } from './repositories.service.js';

@ApiTags('registry')
@Controller('repositories')
@Authenticated()
export class RepositoriesController {
  constructor(private readonly repositories: RepositoriesService) {}

  @Get()
  @ApiOperation({
    summary: 'List plugin repositories',
    description: 'The sources this instance serves plugins from; its own registry comes first.',
  })
  @PaginatedList(RepositoryResponseDto)
  list(
    @CurrentUser() caller: AuthUser,
    @RequestOrigin() origin: string,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<RepositoryResponseDto>> {
    return this.repositories.list(caller, origin, window);
  }
}
