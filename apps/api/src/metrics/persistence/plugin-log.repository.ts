import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { escapeRegex, type PageWindow, type Slice } from '@app/common';
import { paginate } from '@app/database';
import type { Model } from 'mongoose';
import { LOG_SEVERITY, type LogLevel, type PluginLogLine, type PluginLogQuery } from '../metrics.entity.js';
import { PluginLogDoc } from './plugin-log.schema.js';

type LogLean = PluginLogDoc & { _id: unknown };

@Injectable()
export class PluginLogRepository {
  constructor(@InjectModel(PluginLogDoc.name) private readonly model: Model<PluginLogDoc>) {}

  /** Appends lines in one round trip. */
  async append(lines: PluginLogLine[], retentionMs: number): Promise<void> {
    if (lines.length === 0) return;
    await this.model.insertMany(
      lines.map((l) => ({
        installation_id: l.installationId,
        plugin_key: l.pluginKey,
        at: l.at,
        level: l.level,
        severity: LOG_SEVERITY[l.level],
        message: l.message,
        ...(l.fields === undefined ? {} : { fields: JSON.stringify(l.fields) }),
        ...(l.requestId === undefined ? {} : { request_id: l.requestId }),
        source: l.source,
        truncated: l.truncated,
        expires_at: new Date(l.at.getTime() + retentionMs),
      })),
      { ordered: false, lean: true },
    );
  }

  /**
   * One page of an installation's lines, newest first, leaving out lines written before `notBefore` (now minus the
   * retention: hidden before the TTL monitor removes them). Every bound is on `at`, so the page and the count walk
   * the installation_at index instead of fetching each line.
   */
  async find(query: PluginLogQuery, window: PageWindow, notBefore: Date): Promise<Slice<PluginLogLine>> {
    const from = query.from && query.from > notBefore ? query.from : notBefore;
    const at: Record<string, Date> = { $gte: from };
    if (query.to) at.$lt = query.to;
    const filter: Record<string, unknown> = { installation_id: query.installationId, at };
    if (query.minLevel) filter.severity = { $gte: LOG_SEVERITY[query.minLevel] };
    if (query.search) filter.message = { $regex: escapeRegex(query.search), $options: 'i' };
    const slice = await paginate<PluginLogDoc, LogLean>(this.model, filter, { at: -1, _id: -1 }, window);
    return { count: slice.count, items: slice.items.map(toLine) };
  }
}

function toLine(d: LogLean): PluginLogLine {
  const line: PluginLogLine = {
    installationId: d.installation_id,
    pluginKey: d.plugin_key,
    at: d.at,
    level: d.level as LogLevel,
    message: d.message,
    source: d.source as PluginLogLine['source'],
    truncated: d.truncated,
  };
  if (d.fields !== undefined) line.fields = JSON.parse(d.fields) as Record<string, unknown>;
  if (d.request_id !== undefined) line.requestId = d.request_id;
  return line;
}
