import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Clock } from '@app/common';
import type { Model } from 'mongoose';
import { RegistryEpochDoc } from './registry-epoch.schema.js';

/** How often a node reads the shared counter at most: another node's registry write counts here within this. */
export const EPOCH_POLL_MS = 1000;

const ID = 'plugins';

/**
 * The registry's write epoch: a generation that changes after every registry write on this node (at once) and
 * after a write on another node (seen through the shared counter, read at most every EPOCH_POLL_MS). A read
 * takes the generation before it asks the database and may keep its answer only while the generation is the same,
 * so nothing cached outlives a write: a write moves the generation only once it is stored, and a read that started
 * before that is tagged with the old one.
 */
@Injectable()
export class RegistryWriteEpoch {
  private generation = 0;
  /** The shared counter as this node last read or moved it; null before the first read. */
  private shared: number | null = null;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private polling: Promise<void> | null = null;

  constructor(
    @InjectModel(RegistryEpochDoc.name) private readonly epochs: Model<RegistryEpochDoc>,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** The generation a read is tagged with; reads the shared counter first when the last read is too old. */
  async current(): Promise<number> {
    if (this.clock.nowMs() - this.checkedAt >= EPOCH_POLL_MS) {
      this.polling ??= this.poll().finally(() => (this.polling = null));
      await this.polling;
    }
    return this.generation;
  }

  /**
   * A registry write is done: the generation moves on this node, and, when the write `stored` something, the
   * shared counter moves for the other nodes (a refused write that stored nothing stores no counter either).
   */
  async written(stored = true): Promise<void> {
    this.generation++;
    if (!stored) return;
    const doc = await this.epochs
      .findOneAndUpdate(
        { _id: ID },
        { $inc: { n: 1 } },
        { upsert: true, returnDocument: 'after', projection: { n: 1 } },
      )
      .lean<{ n: number }>()
      .exec();
    // Only this write moved it since the last read: nothing of another node's is missed by taking it as read.
    if (doc && this.shared !== null && doc.n === this.shared + 1) this.shared = doc.n;
  }

  private async poll(): Promise<void> {
    const started = this.clock.nowMs();
    const doc = await this.epochs.findOne({ _id: ID }, { n: 1 }).lean<{ n: number }>().exec();
    const n = doc?.n ?? 0;
    if (n !== this.shared) {
      this.shared = n;
      this.generation++;
    }
    this.checkedAt = started;
  }
}
