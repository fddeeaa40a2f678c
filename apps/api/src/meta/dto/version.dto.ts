import { ApiProperty } from '@nestjs/swagger';
import { ReadOnlyField, ReadOnlyInt } from '@app/common';

export class VersionResponseDto {
  /** The server release (package version). */
  @ReadOnlyField('0.1.0')
  server: string;
  /** The integer API version; see GET /api/version-text/ for what each version changed. */
  @ApiProperty({ type: 'integer', readOnly: true, example: 1 })
  api: number;
  /** Which database backs this instance. */
  @ApiProperty({ enum: ['embedded', 'mongodb'], enumName: 'DatabaseKind', readOnly: true })
  database: 'embedded' | 'mongodb';
}

export class VersionTextEntryDto {
  /** API version number. */
  @ReadOnlyInt()
  version: number;
  /** Release date (YYYY-MM-DD). */
  @ApiProperty({ format: 'date', readOnly: true })
  date: string;
  /** What changed in this version. */
  @ApiProperty({ type: [String], readOnly: true })
  changes: string[];
}

export class VersionTextResponseDto {
  /** The current API version. */
  @ReadOnlyInt()
  api: number;
  /** Changelog entries, newest first. */
  @ApiProperty({ type: () => [VersionTextEntryDto], readOnly: true })
  entries: VersionTextEntryDto[];
}
