import { ApiProperty } from '@nestjs/swagger';
import { ReadOnlyField, ReadOnlyInt, ReadOnlyNullableDate, wireFields } from '@app/common';

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
  @ReadOnlyField()
  name: string;
  /** What it is. */
  @ReadOnlyField()
  description: string;
  /** Where its catalog is served. */
  @ApiProperty({ format: 'uri', readOnly: true })
  url: string;
  /** `local`: this instance's own registry. */
  @ApiProperty({ enum: REPOSITORY_KINDS, enumName: 'RepositoryKind', readOnly: true })
  kind: (typeof REPOSITORY_KINDS)[number];
  /** Whether it is used. */
  @ReadOnlyField()
  enabled: boolean;
  /** Plugins in it that you can see. */
  @ReadOnlyInt()
  plugin_count: number;
  /** When its content last changed (for the local registry: the newest change to a plugin you can see). */
  @ReadOnlyNullableDate()
  last_sync: string | null;

  static from(r: RepositoryView): RepositoryResponseDto {
    return { ...wireFields(r, 'name', 'description', 'url', 'kind', 'pluginCount', 'lastSync'), enabled: true };
  }
}
