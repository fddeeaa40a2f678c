import { ApiProperty } from '@nestjs/swagger';
import { wireFields } from '@app/common';

export const REPOSITORY_KINDS = ['local'] as const;

export interface RepositoryView {
  name: string;
  description: string;
  url: string;
  kind: (typeof REPOSITORY_KINDS)[number];
  pluginCount: number;
  lastSync: Date | null;
}

/** A plugin source this instance serves. */
export class RepositoryResponseDto {
  /** Short name. */
  @ApiProperty({ readOnly: true })
  name: string;
  /** What it is. */
  @ApiProperty({ readOnly: true })
  description: string;
  /** Where its catalog is served. */
  @ApiProperty({ format: 'uri', readOnly: true })
  url: string;
  /** `local`: this instance's own registry. */
  @ApiProperty({ enum: REPOSITORY_KINDS, enumName: 'RepositoryKind', readOnly: true })
  kind: (typeof REPOSITORY_KINDS)[number];
  /** Whether it is used. */
  @ApiProperty({ readOnly: true })
  enabled: boolean;
  /** Plugins in it that you can see. */
  @ApiProperty({ type: 'integer', readOnly: true })
  plugin_count: number;
  /** When its content last changed (for the local registry: the newest change to a plugin you can see). */
  @ApiProperty({ type: String, format: 'date-time', nullable: true, readOnly: true })
  last_sync: string | null;

  static from(r: RepositoryView): RepositoryResponseDto {
    return { ...wireFields(r, 'name', 'description', 'url', 'kind', 'pluginCount', 'lastSync'), enabled: true };
  }
}
