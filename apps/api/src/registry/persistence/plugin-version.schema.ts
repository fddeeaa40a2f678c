import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';
import { FILE_ROLES, type FileRole, VERSION_STATUSES, type VersionStatus } from '../registry.entity.js';

@Schema({ _id: false })
export class VersionFileDoc {
  @Prop({ type: String, enum: FILE_ROLES, required: true })
  role: FileRole;

  @Prop({ required: true })
  path: string;

  @Prop({ required: true })
  size: number;

  @Prop({ required: true })
  sha256: string;

  @Prop({ type: Buffer, required: true })
  content: Buffer;
}
const VersionFileSchema = SchemaFactory.createForClass(VersionFileDoc);

/** One published version. Content fields never change; review, deprecation, yank and download count do. */
@Schema({ collection: 'plugin_versions', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class PluginVersionDoc {
  @Prop({ required: true })
  plugin_key: string;

  @Prop({ required: true })
  version: string;

  /** The version without build metadata: what `key@version` uniqueness is about. */
  @Prop({ required: true })
  version_key: string;

  @Prop({ default: false })
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

  @Prop({ required: true })
  size: number;

  @Prop({ required: true })
  checksum: string;

  @Prop({ required: true })
  integrity: string;

  @Prop({ type: String, default: null })
  deprecated: string | null;

  @Prop({ default: false })
  yanked: boolean;

  @Prop({ type: Date, default: null })
  yanked_at: Date | null;

  @Prop({ default: 0 })
  downloads: number;

  @Prop({ type: String, default: null })
  review_notes: string | null;

  @Prop({ type: String, default: null })
  reviewed_by: string | null;

  @Prop({ type: Date, default: null })
  reviewed_at: Date | null;

  @Prop({ type: Date, default: null })
  submitted_at: Date | null;

  @Prop({ type: String, default: null })
  published_by: string | null;

  @Prop({ type: Date, required: true })
  published_at: Date;

  created_at: Date;
  updated_at: Date;
}
export const PluginVersionSchema = SchemaFactory.createForClass(PluginVersionDoc);
// Survives unpublishing (versions are never deleted), so key@version can never be reused.
PluginVersionSchema.index({ plugin_key: 1, version_key: 1 }, { unique: true });
PluginVersionSchema.index({ status: 1 });
