import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class SchemaQueryDto {
  /** Serialisation of the document; JSON by default. */
  @ApiPropertyOptional({ enum: ['json', 'yaml'], enumName: 'SchemaFormat' })
  @IsOptional()
  @IsIn(['json', 'yaml'])
  format?: 'json' | 'yaml';
}
