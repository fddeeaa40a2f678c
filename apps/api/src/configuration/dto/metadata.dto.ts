import { ApiProperty } from '@nestjs/swagger';
import { BodyExamples } from '@app/common';
import { IsObject } from 'class-validator';
import type { MetadataView } from '../metadata.service.js';

/** PUT (replace) and PATCH (merge top-level keys) of …/metadata/. */
@BodyExamples({
  label: {
    summary: 'Label the installation for a dashboard',
    value: { metadata: { label: 'Production', pinned: true } },
  },
})
export class MetadataChangeDto {
  /** A JSON object (at most 16 KiB as JSON once written). */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { label: 'Production', pinned: true } })
  @IsObject()
  metadata: Record<string, unknown>;
}

/** An installation's metadata: free-form JSON for clients, never read by the platform or the plugin. */
export class MetadataDto {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { label: 'Production', pinned: true } })
  metadata: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time' })
  updated_at: string;

  static from(view: MetadataView): MetadataDto {
    return { metadata: view.metadata, updated_at: view.updatedAt.toISOString() };
  }
}
