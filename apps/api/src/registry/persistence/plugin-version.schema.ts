import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';
import { FILE_ROLES, type FileRole, VERSION_STATUSES, type VersionStatus } from '../registry.entity.js';
import { PropDefault, PropNullableDate, PropNullableString, PropRequired, PropRequiredDate } from '@app/database';

@Schema({ _id: false })
export class VersionFileDoc {
  @Prop({ type: String, enum: FILE_ROLES, required: true })
  role: FileRole;

  @PropRequired()
  path: string;

  @PropRequired()
  size: number;

  @PropRequired()
  sha256: string;

  @Prop({ type: Buffer, required: true })
  content: Buffer;
}
const VersionFileSchema = SchemaFactory.createForClass(VersionFileDoc);

/** One published version. Content fields never change; review, deprecation, yank and download count do. */
@Schema({ collection: 'plugin_versions', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class PluginVersionDoc {
  @PropRequired()
  plugin_key: string;

  @PropRequired()
  version: string;

  /** The version without build metadata: what `key@version` uniqueness is about. */
  @PropRequired()
  version_key: string;

  @PropDefault(false)
  prerelease: boolean;

  @Prop({ type: String, enum: VERSION_STATUSES, required: true })
  status: VersionStatus;

  @Prop({ type: MongooseSchema.Types.Mixed, required: true })
  manifest: Record<string, unknown>;

  @Prop({ type: [VersionFileSchema], default: [] })
  files: VersionFileDoc[];

  /** The gzip'd tar served by the download endpoint. */
  @Prop({ type: Buffer, required: true })
  artifact: Buffer;

  @PropRequired()
  size: number;

  @PropRequired()
  checksum: string;

  @PropRequired()
  integrity: string;

  @PropNullableString()
  deprecated: string | null;

  @PropDefault(false)
  yanked: boolean;

  @PropNullableDate()
  yanked_at: Date | null;

  @PropDefault(0)
  downloads: number;

  @PropNullableString()
  review_notes: string | null;

  @PropNullableString()
  reviewed_by: string | null;

  @PropNullableDate()
  reviewed_at: Date | null;

  @PropNullableDate()
  submitted_at: Date | null;

  @PropNullableString()
  published_by: string | null;

  @PropRequiredDate()
  published_at: Date;

  created_at: Date;
  updated_at: Date;
}
export const PluginVersionSchema = SchemaFactory.createForClass(PluginVersionDoc);
// Survives unpublishing (versions are never deleted), so key@version can never be reused.
PluginVersionSchema.index({ plugin_key: 1, version_key: 1 }, { unique: true });
PluginVersionSchema.index({ status: 1 });
