import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { PropRequired, PropRequiredDate } from '@app/database';

/** The search index (see below) and the one it replaced. */
export const TERMS_INDEX = 'installation_terms_at';
export const LEGACY_TERMS_INDEX = 'installation_terms';

/** One stored plugin log line; append-only, removed by the TTL index. */
@Schema({ collection: 'plugin_logs', versionKey: false })
export class PluginLogDoc {
  @PropRequired()
  installation_id: string;

  @PropRequired()
  plugin_key: string;

  @PropRequiredDate()
  at: Date;

  @PropRequired()
  level: string;

  /** 10 debug, 20 info, 30 warn, 40 error: "this level and above" is a range. */
  @PropRequired()
  severity: number;

  @PropRequired()
  message: string;

  /** JSON text of the line's fields: plugin data never meets Mongo's key rules ($, dots). */
  @Prop({ type: String })
  fields?: string;

  @Prop({ type: String })
  request_id?: string;

  /** The message's search terms (see logTerms): what a search looks lines up by. */
  @Prop({ type: [String], default: undefined })
  terms?: string[];

  /** The word heads searches read before terms; the terms backfill removes them from the lines that had them. */
  @Prop({ type: [String], default: undefined })
  heads?: string[];

  @PropRequired()
  source: string;

  @PropRequired()
  truncated: boolean;

  @PropRequiredDate()
  expires_at: Date;
}
export const PluginLogSchema = SchemaFactory.createForClass(PluginLogDoc);
// Newest first per installation, the one order the logs endpoint reads in; filters narrow that scan.
PluginLogSchema.index({ installation_id: 1, at: -1, _id: -1 }, { name: 'installation_at' });
// A minimum level: each level of an installation by time, the levels asked for merged into one sorted scan, and
// their count from the index alone.
PluginLogSchema.index({ installation_id: 1, severity: 1, at: -1, _id: -1 }, { name: 'installation_severity_at' });
// A search: the lines of an installation holding a term (a word head, a pair of words), by time and then id, the
// order a page is read in (so the engine sorts nothing). It replaced `installation_terms` (no _id), which
// LogTermsIndexMigration drops once this one is built.
PluginLogSchema.index({ installation_id: 1, terms: 1, at: -1, _id: -1 }, { name: TERMS_INDEX });
PluginLogSchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });
