import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Clock } from '@app/common';
import type { Model } from 'mongoose';
import { RegistryEpochDoc } from './registry-epoch.schema.js';

/** How often a node reads the shared counter at most: another node's registry write counts here within this. */
export const EPOCH_POLL_MS = 1000;

/** The shared counters: one every registry write moves, one every download moves. */
const WRITES = 'plugins';
const DOWNLOADS = 'downloads';

/** The generations a read is tagged with (both only grow). */
export interface Generations {
  /** Moves with every registry write (on this node at once, on others within EPOCH_POLL_MS). */
  writes: number;
  /** Moves with every write too, and with every download: what an order by downloads is read at. */
  downloads: number;
}

/**
 * The registry's write epoch: a generation that changes after every registry write on this node (at once) and
 * after a write on another node (seen through the shared counter, read at most every EPOCH_POLL_MS). A read
 * takes the generation before it asks the database and may keep its answer only while the generation is the same,
 * so nothing cached outlives a write: a write moves the generation only once it is stored, and a read that started
 * before that is tagged with the old one.
 *
 * A download changes one plugin's download counter and nothing else, so it does not move the write generation on
 * the node that counted it (the repository shows the new count in the answers it kept, plugin.repository.ts): it
 * moves only the downloads generation, which answers ordered by downloads are kept at. Another node cannot tell
 * which plugin a download counted, so it sees a download (its shared counter) as a write.
 */
@Injectable()
export class RegistryWriteEpoch {
  private generation = 0;
  private downloadsGeneration = 0;
  /** Moves as `generation` does, except on this node's writes that change no plugin or version (`counts`). */
  private contentGeneration = 0;
  /** The shared counters as this node last read or moved them; null before the first read. */
  private shared: number | null = null;
  private sharedDownloads: number | null = null;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private polling: Promise<void> | null = null;

  constructor(
    @InjectModel(RegistryEpochDoc.name) private readonly epochs: Model<RegistryEpochDoc>,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** The generation a read is tagged with; reads the shared counters first when the last read is too old. */
  async current(): Promise<number> {
    return (await this.generations()).writes;
  }

  /** Both generations, after reading the shared counters when the last read is too old. */
  async generations(): Promise<Generations> {
    await this.pollIfDue();
    return { writes: this.generation, downloads: this.downloadsGeneration };
  }

  /**
   * The generation of the plugins and their versions alone (what an install resolves over): as `current`, except
   * that an installation coming or going on this node does not move it. Another node's does (the shared counter
   * does not tell what moved it), so a read kept at it is dropped then too.
   */
  async contentCurrent(): Promise<number> {
    await this.pollIfDue();
    return this.contentGeneration;
  }

  /**
   * A registry write is done: the generation moves on this node, and, when the write `stored` something, the
   * shared counter moves for the other nodes (a refused write that stored nothing stores no counter either).
   * `counts`: the write changed installation counts only, not a plugin or a version (the content generation stays).
   */
  async written(stored = true, what: 'content' | 'counts' = 'content'): Promise<void> {
    this.generation++;
    this.downloadsGeneration++;
    if (what === 'content') this.contentGeneration++;
    if (!stored) return;
    const n = await this.bump(WRITES);
    // Only this write moved it since the last read: nothing of another node's is missed by taking it as read.
    if (n !== null && this.shared !== null && n === this.shared + 1) this.shared = n;
  }

  /** A download was counted (`stored`): the downloads generation moves here, the shared downloads counter too. */
  async downloaded(stored = true): Promise<void> {
    this.downloadsGeneration++;
    if (!stored) return;
    const n = await this.bump(DOWNLOADS);
    if (n !== null && this.sharedDownloads !== null && n === this.sharedDownloads + 1) this.sharedDownloads = n;
  }

  private async bump(id: string): Promise<number | null> {
    const doc = await this.epochs
      .findOneAndUpdate(
        { _id: id },
        { $inc: { n: 1 } },
        { upsert: true, returnDocument: 'after', projection: { n: 1 } },
      )
      .lean<{ n: number }>()
      .exec();
    return doc?.n ?? null;
  }

  private async pollIfDue(): Promise<void> {
    if (this.clock.nowMs() - this.checkedAt >= EPOCH_POLL_MS) {
      this.polling ??= this.poll().finally(() => (this.polling = null));
      await this.polling;
    }
  }

  private async poll(): Promise<void> {
    const started = this.clock.nowMs();
    const docs = await this.epochs
      .find({ _id: { $in: [WRITES, DOWNLOADS] } }, { n: 1 })
      .lean<Array<{ _id: string; n: number }>>()
      .exec();
    const n = docs.find((d) => d._id === WRITES)?.n ?? 0;
    const downloads = docs.find((d) => d._id === DOWNLOADS)?.n ?? 0;
    if (n !== this.shared || downloads !== this.sharedDownloads) {
      this.shared = n;
      this.sharedDownloads = downloads;
      this.generation++;
      this.downloadsGeneration++;
      this.contentGeneration++;
    }
    this.checkedAt = started;
  }
}
