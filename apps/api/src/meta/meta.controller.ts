import { Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { ApiController, AppError, Endpoint } from '@app/common';
import type { FastifyReply } from 'fastify';
import { SchemaQueryDto } from './dto/schema-query.dto.js';
import { VersionResponseDto, VersionTextResponseDto } from './dto/version.dto.js';
import { MetaService } from './meta.service.js';
import { OpenApiDocumentHolder } from './openapi-document.holder.js';

@ApiController('meta', undefined, 'public')
export class MetaController {
  constructor(
    private readonly meta: MetaService,
    private readonly spec: OpenApiDocumentHolder,
  ) {}

  @Get('version')
  @Endpoint({ summary: 'Server and API version', description: 'Release, integer API version and runtime facts.' })
  version(): VersionResponseDto {
    return this.meta.version();
  }

  @Get('version-text')
  @Endpoint({ summary: 'API changelog', description: 'The API changelog (openapi/CHANGELOG.md) as data.' })
  versionText(): VersionTextResponseDto {
    return this.meta.versionText();
  }

  @Get('schema')
  @Endpoint({
    summary: 'OpenAPI document',
    description: 'The OpenAPI 3 contract of this server, as JSON, or YAML with `?format=yaml`.',
  })
  @ApiProduces('application/json', 'application/yaml')
  @ApiOkResponse({ description: 'The OpenAPI document.', schema: { type: 'object', additionalProperties: true } })
  async schema(@Query() query: SchemaQueryDto, @Res() reply: FastifyReply): Promise<void> {
    if (!this.spec.document) throw new AppError('INTERNAL', 'The OpenAPI document is not ready yet.');
    if (query.format === 'yaml') {
      await reply.type('application/yaml; charset=utf-8').send(await this.spec.asYaml());
    } else {
      await reply.type('application/json; charset=utf-8').send(this.spec.asJson());
    }
  }
}
