import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ApiInt,
  ApiNullableString,
  BodyExamples,
  ReadOnlyDate,
  ReadOnlyField,
  ReadOnlyInt,
  ReadOnlyNullableDate,
  ReadOnlyNullableString,
} from '@app/common';
import { pluginManifestRef } from '../../openapi/plugin-manifest.component.js';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import {
  FILE_ROLES,
  type FileRole,
  type PluginVersion,
  VERSION_STATUSES,
  type VersionStatus,
} from '../registry.entity.js';

export class VersionFileDto {
  /** Which file it is. */
  @ApiProperty({ enum: FILE_ROLES, enumName: 'FileRole' })
  role: FileRole;
  /** Path inside the package (below `package/`). */
  path: string;
  /** Size in bytes. */
  @ApiInt()
  size: number;
  /** sha256 of the file, lower-case hex. */
  sha256: string;
}

/**
 * A published version. Its artifact (GET …/download/) is a gzip'd ustar tarball holding `package/manifest.json`
 * and the files at the paths listed in `files`, with fixed metadata so equal input gives equal bytes; `size`,
 * `checksum` and `integrity` describe that artifact.
 */
export class PluginVersionResponseDto {
  /** The plugin key. */
  @ReadOnlyField()
  key: string;
  /** Semantic version, unique per plugin forever. */
  @ReadOnlyField()
  version: string;
  /** Has a prerelease part (`1.0.0-beta.1`). */
  @ReadOnlyField()
  prerelease: boolean;
  /** Review status: draft, pending, approved or rejected. */
  @ApiProperty({ enum: VERSION_STATUSES, enumName: 'VersionStatus', readOnly: true })
  status: VersionStatus;
  /** dist-tags pointing at this version. */
  @ReadOnlyField()
  tags: string[];
  /** The manifest as published. */
  @ApiProperty({ allOf: [pluginManifestRef], readOnly: true })
  manifest: Record<string, unknown>;
  /** The files in the artifact besides the manifest. */
  @ApiProperty({ readOnly: true, type: [VersionFileDto] })
  files: VersionFileDto[];
  /** Artifact size in bytes. */
  @ReadOnlyInt()
  size: number;
  /** sha256 of the artifact, lower-case hex. */
  @ReadOnlyField()
  checksum: string;
  /** Subresource Integrity of the artifact (`sha512-<base64>`); also its download ETag. */
  @ReadOnlyField()
  integrity: string;
  /** Deprecation message, or null. */
  @ApiNullableString()
  deprecated: string | null;
  /** Withdrawn: never chosen by a dist-tag, still downloadable by exact version. */
  yanked: boolean;
  /** Artifact downloads of this version. */
  @ReadOnlyInt()
  downloads: number;
  /** Reviewer's notes, shown to the plugin's managers only (null otherwise). */
  @ReadOnlyNullableString()
  review_notes: string | null;
  /** When it was reviewed. */
  @ReadOnlyNullableDate()
  reviewed_at: string | null;
  /** When it was published. */
  @ReadOnlyDate()
  published_at: string;

  static from(v: PluginVersion, tags: string[], isManager: boolean): PluginVersionResponseDto {
    return {
      key: v.key,
      version: v.version,
      prerelease: v.prerelease,
      status: v.status,
      tags,
      manifest: v.manifest,
      files: v.files.map((f) => ({ role: f.role, path: f.path, size: f.size, sha256: f.sha256 })),
      size: v.size,
      checksum: v.checksum,
      integrity: v.integrity,
      deprecated: v.deprecated,
      yanked: v.yanked,
      downloads: v.downloads,
      review_notes: isManager ? v.reviewNotes : null,
      reviewed_at: v.reviewedAt ? v.reviewedAt.toISOString() : null,
      published_at: v.publishedAt.toISOString(),
    };
  }
}

/** Changes to a published version; its content never changes. Plugin managers only. */
@BodyExamples({
  deprecate: { summary: 'Deprecate the version', value: { deprecated: 'Use 1.1.0, which fixes the greeting.' } },
})
export class PatchedPluginVersionDto {
  /** Deprecate with this message, or null to undeprecate. */
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  deprecated?: string | null;

  /** Yank (true) or restore (false) the version. */
  @IsOptional()
  @IsBoolean()
  yanked?: boolean;

  /** `pending` submits a draft for review; no other value may be set here. */
  @ApiPropertyOptional({ enum: ['pending'], enumName: 'VersionSubmitStatus' })
  @IsOptional()
  @IsIn(['pending'])
  status?: 'pending';
}
