import { ApiProperty } from '@nestjs/swagger';

export class VersionResponseDto {
  /** The server release (package version). */
  @ApiProperty({ readOnly: true, example: '0.1.0' })
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
  @ApiProperty({ type: 'integer', readOnly: true })
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
  @ApiProperty({ type: 'integer', readOnly: true })
  api: number;
  /** Changelog entries, newest first. */
  @ApiProperty({ type: () => [VersionTextEntryDto], readOnly: true })
  entries: VersionTextEntryDto[];
}
