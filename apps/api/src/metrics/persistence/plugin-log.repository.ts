import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type CountRelation, escapeRegex, type PageWindow, type Slice } from '@app/common';
import { countMatching } from '@app/database';
import { type Model, Types } from 'mongoose';
import { LOG_SEVERITY, type LogLevel, type PluginLogLine, type PluginLogQuery } from '../metrics.entity.js';
import { LEGACY_TERMS_INDEX, PluginLogDoc } from './plugin-log.schema.js';

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
        terms: logTerms(l.message),
        source: l.source,
        truncated: l.truncated,
        expires_at: new Date(l.at.getTime() + retentionMs),
      })),
      { ordered: false, lean: true },
    );
  }

  /**
   * One page of an installation's lines, newest first, leaving out lines written before `notBefore` (now minus the
   * retention: hidden before the TTL monitor removes them), and how many lines match. Without a search the page is
   * read in order from an index and the count from index entries alone (installation_at for the time bounds,
   * installation_severity_at once a level is asked for), up to one past SEARCH_COUNT_UP_TO or the page asked for:
   * exact below that, a lower bound (`countRelation: 'gte'`) past it. A search reads the installation_terms_at index
   * (see `searchFilter`) time window by time window, newest first (see `findSearched`): its count is exact when
   * every window of the range was read, a lower bound when it stopped past the same bound.
   */
  async find(query: PluginLogQuery, window: PageWindow, notBefore: Date, now: Date): Promise<PluginLogSlice> {
    const from = query.from && query.from > notBefore ? query.from : notBefore;
    if (query.search) return this.findSearched(query, query.search, window, from, now);
    const at: Record<string, Date> = { $gte: from };
    if (query.to) at.$lt = query.to;
    const filter: Record<string, unknown> = { installation_id: query.installationId, at };
    // An $in of the levels (not a range): each is an interval of installation_severity_at in time order, merged.
    if (query.minLevel && query.minLevel !== 'debug') filter.severity = { $in: severitiesFrom(query.minLevel) };
    // The count stops one past the bound (SEARCH_COUNT_UP_TO, or the page asked for when it reaches further), so
    // a newest page of a busy installation does not count its million lines.
    const bound = Math.max(window.offset + window.limit, SEARCH_COUNT_UP_TO);
    const [count, items] = await Promise.all([
      countMatching(this.model, filter, bound + 1),
      this.model
        .find(filter)
        .sort({ at: -1, _id: -1 })
        .skip(window.offset)
        .limit(window.limit)
        .lean<LogLean[]>()
        .exec(),
    ]);
    return { count, countRelation: count > bound ? 'gte' : 'eq', items: items.map(toLine) };
  }

  /**
   * A search, a time window at a time from the newest: [top - 1 h, top), then windows four times as long each
   * (a week of retention is five of them, 30 days six), each one's matches read in order, until the windows reach
   * `from` or the matches found pass both the page and SEARCH_COUNT_UP_TO. Each window is one query of the matches'
   * ids and times; the page's lines are then read by id. A frequent text stops after the first window or two, a
   * rare one reads every window but finds few lines in each.
   */
  private async findSearched(
    query: PluginLogQuery,
    search: string,
    window: PageWindow,
    from: Date,
    now: Date,
  ): Promise<PluginLogSlice> {
    const filter: Record<string, unknown> = { installation_id: query.installationId, ...searchFilter(search) };
    // A range, not an $in: with a search, the terms index is the narrower one (see searchFilter).
    if (query.minLevel && query.minLevel !== 'debug') filter.severity = { $gte: LOG_SEVERITY[query.minLevel] };
    const top = (query.to ?? now).getTime();
    const bottom = from.getTime();
    const wanted = Math.max(window.offset + window.limit, SEARCH_COUNT_UP_TO);
    const found: Array<{ _id: Types.ObjectId; at: Date }> = [];
    let lower = top;
    let upper: number | null = null;
    let covered = false;
    while (found.length <= wanted) {
      lower = Math.max(bottom, lower - nextWindow(top - lower, found.length, wanted));
      const at: Record<string, Date> = { $gte: new Date(lower) };
      // The first window is open above when no end was asked for: a line stamped a little ahead (another node's
      // clock) is still the newest.
      if (upper !== null) at.$lt = new Date(upper);
      else if (query.to) at.$lt = query.to;
      const matches = await this.model
        .find({ ...filter, at }, { _id: 1, at: 1 })
        .sort({ at: -1, _id: -1 })
        .limit(wanted + 1 - found.length)
        .lean<Array<{ _id: Types.ObjectId; at: Date }>>()
        .exec();
      found.push(...matches);
      if (lower <= bottom) {
        covered = found.length <= wanted;
        break;
      }
      upper = lower;
    }
    const ids = found.slice(window.offset, window.offset + window.limit).map((m) => m._id);
    const lines =
      ids.length === 0
        ? []
        : await this.model
            .find({ _id: { $in: ids } })
            .sort({ at: -1, _id: -1 })
            .lean<LogLean[]>()
            .exec();
    return { count: found.length, countRelation: covered ? 'eq' : 'gte', items: lines.map(toLine) };
  }

  /**
   * Gives search terms to up to `limit` lines stored without them (written before searches looked lines up by
   * terms: they may hold the older word heads, which are removed), in id order after `after`; idempotent (a line
   * that has terms is never written again), so a backfill stopped half way simply runs again.
   */
  async addMissingTerms(after: string | null, limit: number): Promise<TermsBatch> {
    const filter: Record<string, unknown> = { terms: { $exists: false } };
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
          filter: { _id: l._id, terms: { $exists: false } },
          update: { $set: { terms: logTerms(l.message) }, $unset: { heads: 1 } },
        },
      })),
      { ordered: false },
    );
    return { updated: lines.length, last: lines[lines.length - 1]._id.toHexString() };
  }

  /** Drops the index of the word heads searches read before terms (absent on a database that never had it). */
  dropHeadsIndex(): Promise<boolean> {
    return this.dropIndex(LEGACY_HEADS_INDEX);
  }

  /**
   * Replaces the search index without `_id` (installation_terms, on a database from before) by installation_terms_at:
   * builds the schema's indexes first (over every stored line; a no-op once autoIndex has), so a search always has
   * one, then drops the old one. False when there was none to replace.
   */
  async replaceTermsIndex(): Promise<boolean> {
    if (!(await this.hasIndex(LEGACY_TERMS_INDEX))) return false;
    await this.model.createIndexes();
    return this.dropIndex(LEGACY_TERMS_INDEX);
  }

  private async hasIndex(name: string): Promise<boolean> {
    return (await this.model.collection.indexes()).some((i) => i.name === name);
  }

  private async dropIndex(name: string): Promise<boolean> {
    if (!(await this.hasIndex(name))) return false;
    await this.model.collection.dropIndex(name);
    return true;
  }
}

/** One page of log lines and how many match: exactly (`eq`), or at least that many (`gte`). */
export interface PluginLogSlice extends Slice<PluginLogLine> {
  countRelation: CountRelation;
}

/** A search counts its matches exactly up to this many (past it, at least this many), as Elasticsearch does. */
export const SEARCH_COUNT_UP_TO = 10_000;
const FIRST_WINDOW_MS = 3_600_000;
const WINDOW_GROWTH = 4;
const LEGACY_HEADS_INDEX = 'installation_head';

/**
 * How far the next window of a search reaches back, after `span` ms read with `found` matches of the `wanted`
 * ones: as far as the matches so far say the rest lie (a quarter more), but at least as far as was read and at
 * most three times as far (the span read at least doubles: a month is ten windows at most); the first is an hour.
 */
function nextWindow(span: number, found: number, wanted: number): number {
  if (span === 0) return FIRST_WINDOW_MS;
  const most = (WINDOW_GROWTH - 1) * span;
  if (found === 0) return most;
  return Math.min(most, Math.max(span, (span * 1.25 * (wanted + 1 - found)) / found));
}

/** The severities of `level` and above. */
function severitiesFrom(level: LogLevel): number[] {
  const min = LOG_SEVERITY[level];
  return Object.values(LOG_SEVERITY).filter((s) => s >= min);
}

/**
 * Lines stored without terms are found by no search with a word: `addMissingTerms` gives them theirs, a batch at
 * a time.
 */
export interface TermsBatch {
  /** Lines given their terms. */
  updated: number;
  /** The last line's id (hex), to go on after; null when no line without terms was left. */
  last: string | null;
}

/** A word: a run of ASCII letters and digits (anything else separates words). */
const WORD = /[a-z0-9]+/gi;
const WORD_CHAR = /^[a-z0-9]/i;
const ASCII = /^\p{ASCII}*$/u;
/** Characters of a word's head: the unit the search index is keyed by. */
export const HEAD_CHARS = 3;
/** Characters of the word after a word that a pair term keeps. */
export const NEXT_CHARS = 2;

/** The message's words, lowercased (ASCII letters only: a Unicode lowercasing could turn a separator into one). */
function wordsOf(text: string): string[] {
  return Array.from(text.matchAll(WORD), ([w]) => w.toLowerCase());
}

/**
 * What a search looks a line up by: the distinct heads (first HEAD_CHARS characters) of its words at least that
 * long, and for each two words in a row a pair term, the first one's head (or whole word) and the next one's
 * first NEXT_CHARS characters: "processed order 129 in 4 ms" has `pro`, `ord`, `129`, `pro or`, `ord 12`,
 * `129 in`, `in 4`, `4 ms`. A search for "order 12" needs `ord 12`, which few lines hold where `ord` is in all.
 */
export function logTerms(message: string): string[] {
  const terms = new Set<string>();
  let previous: string | null = null;
  for (const word of wordsOf(message)) {
    if (word.length >= HEAD_CHARS) terms.add(word.slice(0, HEAD_CHARS));
    if (previous !== null) terms.add(`${previous.slice(0, HEAD_CHARS)} ${word.slice(0, NEXT_CHARS)}`);
    previous = word;
  }
  return [...terms];
}

/**
 * Lines containing `search` (case-insensitive, literally) where it starts a word: `time` finds "timeout" and "a
 * time", not "runtime". A search that starts with something else than a letter or digit matches anywhere. Each
 * word of the search then starts a word of the line, each but the last is a whole word of it, and words in a row
 * are words in a row of the line, so every term the search's words give (`logTerms`: a word's head when it is
 * long enough, a pair when the second word is whole or long enough) is one of the line's: they narrow the lines
 * through the installation_terms_at index, on the rarest of them. A search without terms (`ok`, `->`), or with a
 * character outside ASCII (which a case-insensitive match may fold onto a letter), reads the installation's lines
 * in the range.
 */
export function searchFilter(search: string): Record<string, unknown> {
  const text = escapeRegex(search);
  const filter: Record<string, unknown> = {
    message: { $regex: WORD_CHAR.test(search) ? `(?:^|[^a-z0-9])${text}` : text, $options: 'i' },
  };
  if (!ASCII.test(search)) return filter;
  const words = wordsOf(search);
  // The last word is whole when something follows it.
  const lastWhole = !WORD_CHAR.test(search[search.length - 1]);
  const terms = new Set<string>();
  words.forEach((word, i) => {
    if (word.length >= HEAD_CHARS) terms.add(word.slice(0, HEAD_CHARS));
    const next = words[i + 1];
    const nextWhole = i + 1 < words.length - 1 || lastWhole;
    if (next !== undefined && (nextWhole || next.length >= NEXT_CHARS))
      terms.add(`${word.slice(0, HEAD_CHARS)} ${next.slice(0, NEXT_CHARS)}`);
  });
  if (terms.size > 0) filter.terms = { $all: [...terms] };
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
