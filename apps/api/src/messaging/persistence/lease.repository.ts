import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isDuplicateKey } from '@app/database';
import type { Model } from 'mongoose';
import { LeaseDoc } from './lease.schema.js';

/** What taking a lease found: it was free (none, or this node's), or it took an expired one from `from`. */
export type LeaseTaken = { taken: true; from: string | null } | { taken: false; holder: string };

export interface Lease {
  installationId: string;
  node: string;
  expiresAt: Date;
}

/** The installation_leases collection: one lease per installation, taken and renewed conditionally. */
@Injectable()
export class LeaseRepository {
  constructor(@InjectModel(LeaseDoc.name) private readonly leases: Model<LeaseDoc>) {}

  /**
   * Takes or renews the lease of `installationId` for `node` until `now + ttlMs`: succeeds when there is none,
   * when `node` holds it, or when it expired (`from` then names the node that lost it). Refused while another
   * node's lease is live. One conditional write, so two nodes racing for it cannot both win.
   */
  async take(installationId: string, node: string, now: Date, ttlMs: number): Promise<LeaseTaken> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    try {
      const before = await this.leases
        .findOneAndUpdate(
          { _id: installationId, $or: [{ node }, { expires_at: { $lte: now } }] },
          { $set: { node, expires_at: expiresAt }, $setOnInsert: { acquired_at: now } },
          { upsert: true, returnDocument: 'before' },
        )
        .lean<{ node: string } | null>()
        .exec();
      if (before && before.node !== node) {
        // Taken over: the acquisition time is this node's.
        await this.leases.updateOne({ _id: installationId, node }, { $set: { acquired_at: now } }).exec();
        return { taken: true, from: before.node };
      }
      return { taken: true, from: null };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // The filter missed a document that exists: another node holds it, live.
      const held = await this.leases.findById(installationId).lean<{ node: string } | null>().exec();
      return { taken: false, holder: held?.node ?? 'unknown' };
    }
  }

  /**
   * Extends the leases `node` holds on these installations to `now + ttlMs` and answers the ids it still holds
   * (an id missing from the answer was taken by another node after it expired, or never taken).
   */
  async renew(installationIds: readonly string[], node: string, now: Date, ttlMs: number): Promise<Set<string>> {
    if (!installationIds.length) return new Set();
    const ids = [...installationIds];
    await this.leases
      .updateMany({ _id: { $in: ids }, node }, { $set: { expires_at: new Date(now.getTime() + ttlMs) } })
      .exec();
    const held = await this.leases
      .find({ _id: { $in: ids }, node }, { _id: 1 })
      .lean<{ _id: string }[]>()
      .exec();
    return new Set(held.map((d) => d._id));
  }

  /** Leases other nodes held that expired by `now`, oldest expiry first. */
  async expired(node: string, now: Date, limit: number): Promise<Lease[]> {
    const docs = await this.leases
      .find({ node: { $ne: node }, expires_at: { $lte: now } })
      .sort({ expires_at: 1 })
      .limit(limit)
      .lean<{ _id: string; node: string; expires_at: Date }[]>()
      .exec();
    return docs.map((d) => ({ installationId: d._id, node: d.node, expiresAt: d.expires_at }));
  }

  /** Ids of the installations `node` holds a lease on, live or not. */
  async heldBy(node: string): Promise<string[]> {
    const docs = await this.leases.find({ node }, { _id: 1 }).lean<{ _id: string }[]>().exec();
    return docs.map((d) => d._id);
  }

  /** Gives up `node`'s leases on these installations (it no longer runs them). */
  async release(installationIds: readonly string[], node: string): Promise<number> {
    if (!installationIds.length) return 0;
    const res = await this.leases.deleteMany({ _id: { $in: [...installationIds] }, node }).exec();
    return res.deletedCount;
  }

  /** Removes expired leases of these installations that nobody took again (nothing wants to run them). */
  async dropExpired(installationIds: readonly string[], now: Date): Promise<number> {
    if (!installationIds.length) return 0;
    const res = await this.leases.deleteMany({ _id: { $in: [...installationIds] }, expires_at: { $lte: now } }).exec();
    return res.deletedCount;
  }

  /** Ends every lease `node` holds at `now`, so other nodes take its installations over at once (a clean stop). */
  async expireAll(node: string, now: Date): Promise<number> {
    const res = await this.leases.updateMany({ node }, { $set: { expires_at: now } }).exec();
    return res.modifiedCount;
  }

  async find(installationId: string): Promise<Lease | null> {
    const d = await this.leases
      .findById(installationId)
      .lean<{ _id: string; node: string; expires_at: Date } | null>()
      .exec();
    return d ? { installationId: d._id, node: d.node, expiresAt: d.expires_at } : null;
  }
}
