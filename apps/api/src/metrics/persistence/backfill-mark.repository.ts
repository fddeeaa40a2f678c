import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { BackfillMarkDoc } from './backfill-mark.schema.js';

/** Which start-up backfills have run to their end. */
@Injectable()
export class BackfillMarkRepository {
  constructor(@InjectModel(BackfillMarkDoc.name) private readonly model: Model<BackfillMarkDoc>) {}

  async isDone(name: string): Promise<boolean> {
    return (await this.model.exists({ _id: name }).exec()) !== null;
  }

  async markDone(name: string, at: Date): Promise<void> {
    await this.model.updateOne({ _id: name }, { $setOnInsert: { done_at: at } }, { upsert: true }).exec();
  }
}
