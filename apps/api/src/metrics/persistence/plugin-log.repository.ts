import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { escapeRegex, type PageWindow, type Slice } from '@app/common';
import { paginate } from '@app/database';
import { type Model, Types } from 'mongoose';
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
        heads: wordHeads(l.message),
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
   * the installation_at index instead of fetching each line. A search (see `searchFilter`) walks the
   * installation_head index instead: only the lines with a word starting like the search's longest word are read.
   */
  async find(query: PluginLogQuery, window: PageWindow, notBefore: Date): Promise<Slice<PluginLogLine>> {
    const from = query.from && query.from > notBefore ? query.from : notBefore;
    const at: Record<string, Date> = { $gte: from };
    if (query.to) at.$lt = query.to;
    const filter: Record<string, unknown> = { installation_id: query.installationId, at };
    if (query.minLevel) filter.severity = { $gte: LOG_SEVERITY[query.minLevel] };
    if (query.search) Object.assign(filter, searchFilter(query.search));
    const slice = await paginate<PluginLogDoc, LogLean>(this.model, filter, { at: -1, _id: -1 }, window);
    return { count: slice.count, items: slice.items.map(toLine) };
  }

  /**
   * Gives word heads to up to `limit` lines stored without them, in id order after `after`; idempotent (a line
   * that has heads is never written again), so a backfill stopped half way simply runs again.
   */
  async addMissingHeads(after: string | null, limit: number): Promise<HeadsBatch> {
    const filter: Record<string, unknown> = { heads: { $exists: false } };
    if (after) filter._id = { $gt: new Types.ObjectId(after) };
    const lines = await this.model
      .find(filter, { _id: 1, message: 1 })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<Array<{ _id: Types.ObjectId; message: string }>>()
      .exec();
    if (lines.length === 0) return { updated: 0, last: null };
    await this.model.bulkWrite(
      lines.map((l) => ({
        updateOne: {
          filter: { _id: l._id, heads: { $exists: false } },
          update: { $set: { heads: wordHeads(l.message) } },
        },
      })),
      { ordered: false },
    );
    return { updated: lines.length, last: lines[lines.length - 1]._id.toHexString() };
  }
}

/**
 * Lines stored without word heads (written before searches looked lines up by them) are found by no search with a
 * word: `addMissingHeads` gives them theirs, a batch at a time.
 */
export interface HeadsBatch {
  /** Lines given their heads. */
  updated: number;
  /** The last line's id (hex), to go on after; null when no line without heads was left. */
  last: string | null;
}

/** A word: a run of ASCII letters and digits (anything else separates words). */
const WORD = /[a-z0-9]+/g;
const WORD_CHAR = /^[a-z0-9]/i;
/** Characters of a word's head: the unit the search index is keyed by. */
export const HEAD_CHARS = 3;

/** The distinct first HEAD_CHARS characters (lowercased) of the message's words that are at least that long. */
export function wordHeads(message: string): string[] {
  const heads = new Set<string>();
  for (const [word] of message.toLowerCase().matchAll(WORD)) {
    if (word.length >= HEAD_CHARS) heads.add(word.slice(0, HEAD_CHARS));
  }
  return [...heads];
}

/**
 * Lines containing `search` (case-insensitive, literally) where it starts a word: `time` finds "timeout" and "a
 * time", not "runtime". A search that starts with something else than a letter or digit matches anywhere. Every
 * word of the search then starts a word of the line, so the head of its longest word (at least HEAD_CHARS long)
 * narrows the lines through the installation_head index; a search without such a word (`ok`, `->`) reads the
 * installation's lines in the range.
 */
export function searchFilter(search: string): Record<string, unknown> {
  const text = escapeRegex(search);
  const filter: Record<string, unknown> = {
    message: { $regex: WORD_CHAR.test(search) ? `(?:^|[^a-z0-9])${text}` : text, $options: 'i' },
  };
  let longest = '';
  for (const [word] of search.toLowerCase().matchAll(WORD)) if (word.length > longest.length) longest = word;
  if (longest.length >= HEAD_CHARS) filter.heads = longest.slice(0, HEAD_CHARS);
  return filter;
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
