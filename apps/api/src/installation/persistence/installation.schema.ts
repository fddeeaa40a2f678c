import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema, Types } from 'mongoose';
import { RISK_LEVELS, type RiskLevel } from '@app/plugin-sdk';
import {
  INSTALLATION_SOURCES,
  INSTALLATION_STATUSES,
  type InstallationSource,
  type InstallationStatus,
} from '../installation.entity.js';
import {
  type CollectionModel,
  PropDefault,
  PropNullableDate,
  PropNullableMixed,
  PropNullableString,
  PropRequired,
  PropRequiredDate,
} from '@app/database';

@Schema({ _id: false })
export class DependencyDoc {
  @PropRequired()
  key: string;

  @PropRequired()
  range: string;
}
const DependencySchema = SchemaFactory.createForClass(DependencyDoc);

@Schema({ _id: false })
export class LastErrorDoc {
  @PropRequired()
  message: string;

  @PropRequiredDate()
  at: Date;
}
const LastErrorSchema = SchemaFactory.createForClass(LastErrorDoc);

/**
 * One plugin installed into one target. `target_key` (`user:<id>`, `org:<id>`, `global`) names the target in one
 * indexed string; one installation per (plugin, target) is the unique index's rule. Dependencies are stored as
 * an array (plugin keys hold dots, which field names should not) and indexed for "who depends on it".
 */
@Schema({ collection: 'installations', timestamps: { createdAt: false, updatedAt: 'updated_at' } })
export class InstallationDoc {
  @Prop({ type: MongooseSchema.Types.ObjectId, required: true })
  _id: Types.ObjectId;

  @PropRequired()
  plugin_key: string;

  @Prop({ type: String, enum: ['user', 'org', 'global'], required: true })
  scope: 'user' | 'org' | 'global';

  /** The user's or organisation's id; null for global. */
  @PropNullableString()
  target_id: string | null;

  @PropRequired()
  target_key: string;

  @PropRequired()
  installed_version: string;

  @Prop({ type: String, enum: INSTALLATION_STATUSES, required: true })
  status: InstallationStatus;

  @PropRequired()
  enabled: boolean;

  @PropNullableString()
  status_reason: string | null;

  @Prop({ type: String, enum: INSTALLATION_SOURCES, required: true })
  source: InstallationSource;

  @Prop({ type: MongooseSchema.Types.Mixed, default: {} })
  config: Record<string, unknown>;

  /** Setting key → sealed value (SecretBox); never a value in clear. */
  @Prop({ type: MongooseSchema.Types.Mixed, default: {} })
  secrets: Record<string, string>;

  @Prop({ type: [MongooseSchema.Types.Mixed], default: [] })
  grants: unknown[];

  @Prop({ type: [MongooseSchema.Types.Mixed], default: [] })
  pending_grants: unknown[];

  @PropNullableMixed()
  limits: Record<string, number> | null;

  @Prop({ type: String, enum: RISK_LEVELS, default: null })
  security_level: RiskLevel | null;

  @Prop({ type: MongooseSchema.Types.Mixed, default: {} })
  metadata: Record<string, unknown>;

  @Prop({ type: [MongooseSchema.Types.Mixed], default: [] })
  requested: unknown[];

  @Prop({ type: [DependencySchema], default: [] })
  dependencies: DependencyDoc[];

  @PropDefault(0)
  execution_count: number;

  @PropDefault(0)
  total_execution_time_ms: number;

  @PropDefault(0)
  error_count: number;

  @Prop({ type: LastErrorSchema, default: null })
  last_error: LastErrorDoc | null;

  @PropNullableDate()
  last_used: Date | null;

  @PropDefault(false)
  auto_update: boolean;

  @PropDefault(false)
  update_available: boolean;

  @PropNullableString()
  available_version: string | null;

  @Prop({ type: [MongooseSchema.Types.Mixed], default: [] })
  backups: Array<Record<string, unknown>>;

  @PropNullableString()
  installed_by: string | null;

  @PropRequiredDate()
  installed_at: Date;

  /** The journal operation writing this installation, or null. */
  @PropNullableString()
  operation_id: string | null;

  updated_at: Date;
}
export const InstallationSchema = SchemaFactory.createForClass(InstallationDoc);
InstallationSchema.index({ plugin_key: 1, target_key: 1 }, { unique: true });
InstallationSchema.index({ target_key: 1, plugin_key: 1 });
InstallationSchema.index({ 'dependencies.key': 1 });
InstallationSchema.index({ status: 1 });
InstallationSchema.index({ operation_id: 1 });

/** Settings kept by an uninstall with delete_config false, for the next install of the plugin in that target. */
@Schema({ collection: 'installation_retained_settings', timestamps: false })
export class RetainedSettingsDoc {
  /** The uninstalled installation's id (its plugin storage is keyed by it). */
  @Prop({ type: MongooseSchema.Types.ObjectId, required: true })
  _id: Types.ObjectId;

  @PropRequired()
  plugin_key: string;

  @PropRequired()
  target_key: string;

  @Prop({ type: MongooseSchema.Types.Mixed, default: {} })
  config: Record<string, unknown>;

  @Prop({ type: MongooseSchema.Types.Mixed, default: {} })
  secrets: Record<string, string>;

  @PropRequiredDate()
  retained_at: Date;
}
export const RetainedSettingsSchema = SchemaFactory.createForClass(RetainedSettingsDoc);
RetainedSettingsSchema.index({ plugin_key: 1, target_key: 1 }, { unique: true });

/** The collections of an installation's settings and secrets, for the persistence module and SealedSecretsModule. */
export const SETTINGS_MODELS: readonly CollectionModel[] = [
  [InstallationDoc, InstallationSchema],
  [RetainedSettingsDoc, RetainedSettingsSchema],
];
