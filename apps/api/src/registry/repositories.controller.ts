import { Query } from '@nestjs/common';
import { ApiController, CurrentUser, ListRoute, PaginationQueryDto, Paging } from '@app/common';
import { RequestOrigin } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { RepositoryResponseDto } from './dto/repository-response.dto.js';
import { RepositoriesService } from './repositories.service.js';

@ApiController('registry', 'repositories')
export class RepositoriesController {
  constructor(private readonly repositories: RepositoriesService) {}

  @ListRoute(RepositoryResponseDto, {
    summary: 'List plugin repositories',
    description: 'The sources this instance serves plugins from; its own registry comes first.',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @RequestOrigin() origin: string,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<RepositoryResponseDto>> {
    return this.repositories.list(caller, origin, window);
  }
}
