import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { isDuplicateKey, paginate } from '@app/database';
import type { Model } from 'mongoose';
import type { AuditAnchor, AuditCriteria, AuditEntry } from '../admin.entity.js';
import { GENESIS_HASH } from '../audit-chain.js';
import { AuditAnchorDoc, AuditEntryDoc } from './audit-entry.schema.js';
import { type AuditEntryLean, toAnchor, toAuditDoc, toAuditEntry } from './audit.mapper.js';

const ANCHOR_ID = 'chain';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toQuery(c: AuditCriteria): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (c.actor !== undefined) q['actor.user_id'] = c.actor;
  // `action` is an operationId or a dotted name; a trailing `*` matches a prefix (`plugins_*`).
  if (c.action !== undefined) {
    q.action = c.action.endsWith('*') ? { $regex: `^${escapeRegex(c.action.slice(0, -1))}` } : c.action;
  }
  if (c.targetType !== undefined) q['target.type'] = c.targetType;
  if (c.targetId !== undefined) q['target.id'] = c.targetId;
  if (c.orgIds !== undefined) q.org_id = { $in: c.orgIds };
  if (c.outcome !== undefined) q.outcome = c.outcome;
  if (c.requestId !== undefined) q.request_id = c.requestId;
  if (c.from !== undefined || c.to !== undefined) {
    const at: Record<string, Date> = {};
    if (c.from !== undefined) at.$gte = c.from;
    if (c.to !== undefined) at.$lt = c.to;
    q.at = at;
  }
  return q;
}

export type AppendResult = { inserted: number; conflict: boolean };

/** The audit_entries collection (append-only) and the chain's anchor. */
@Injectable()
export class AuditRepository {
  constructor(
    @InjectModel(AuditEntryDoc.name) private readonly entries: Model<AuditEntryDoc>,
    @InjectModel(AuditAnchorDoc.name) private readonly anchors: Model<AuditAnchorDoc>,
  ) {}

  /** The newest entry's seq and hash; the anchor (or the genesis) when the chain is empty. */
  async head(): Promise<{ seq: number; hash: string }> {
    const last = await this.entries.findOne({}, { seq: 1, hash: 1 }).sort({ seq: -1 }).lean<AuditEntryLean>().exec();
    if (last) return { seq: last.seq, hash: last.hash };
    const anchor = await this.anchor();
    return { seq: anchor.seq - 1, hash: anchor.prevHash };
  }

  /**
   * Inserts linked entries in seq order. When another writer took one of the seqs first, the unique index stops
   * the insert there: the entries before it are in (and link correctly), the rest must be re-linked after the new
   * head, so the caller gets how many went in and `conflict`.
   */
  async append(entries: AuditEntry[]): Promise<AppendResult> {
    if (!entries.length) return { inserted: 0, conflict: false };
    try {
      await this.entries.collection.insertMany(entries.map(toAuditDoc), { ordered: true });
      return { inserted: entries.length, conflict: false };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const inserted = (err as { insertedCount?: unknown }).insertedCount;
      return { inserted: typeof inserted === 'number' ? inserted : 0, conflict: true };
    }
  }

  async list(criteria: AuditCriteria, window: PageWindow): Promise<Slice<AuditEntry>> {
    const slice = await paginate<AuditEntryDoc, AuditEntryLean>(this.entries, toQuery(criteria), { seq: -1 }, window);
    return { count: slice.count, items: slice.items.map(toAuditEntry) };
  }

  /** Entries with seq ≥ `fromSeq`, oldest first, for walking the chain page by page. */
  async from(fromSeq: number, limit: number): Promise<AuditEntry[]> {
    const docs = await this.entries
      .find({ seq: { $gte: fromSeq } })
      .sort({ seq: 1 })
      .limit(limit)
      .lean<AuditEntryLean[]>()
      .exec();
    return docs.map(toAuditEntry);
  }

  async anchor(): Promise<AuditAnchor> {
    const doc = await this.anchors.findById(ANCHOR_ID).lean<AuditAnchorDoc>().exec();
    return doc ? toAnchor(doc) : { seq: 1, prevHash: GENESIS_HASH, prunedAt: null, pruned: 0 };
  }

  /**
   * Drops entries older than `cutoff`, but always keeps the newest one so the chain has a head. The anchor moves
   * first (to the first kept entry and the hash it links to), then the older entries go: a crash in between
   * leaves a few entries before the anchor, which the walk ignores and the next prune removes.
   */
  async prune(cutoff: Date, at: Date): Promise<number> {
    const newest = await this.entries.findOne({}, { seq: 1 }).sort({ seq: -1 }).lean<AuditEntryLean>().exec();
    if (!newest) return 0;
    const firstKept = await this.entries
      .findOne({ at: { $gte: cutoff } }, { seq: 1, prev_hash: 1 })
      .sort({ seq: 1 })
      .lean<AuditEntryLean>()
      .exec();
    const keep =
      firstKept ??
      (await this.entries.findOne({ seq: newest.seq }, { seq: 1, prev_hash: 1 }).lean<AuditEntryLean>().exec());
    if (!keep) return 0;
    const current = await this.anchor();
    if (keep.seq <= current.seq) {
      const stale = await this.entries.deleteMany({ seq: { $lt: current.seq } }).exec();
      return stale.deletedCount;
    }
    const removed = await this.entries.countDocuments({ seq: { $lt: keep.seq } }).exec();
    await this.anchors
      .updateOne(
        { _id: ANCHOR_ID },
        { $set: { seq: keep.seq, prev_hash: keep.prev_hash, pruned_at: at }, $inc: { pruned: removed } },
        { upsert: true },
      )
      .exec();
    const res = await this.entries.deleteMany({ seq: { $lt: keep.seq } }).exec();
    return res.deletedCount;
  }
}
