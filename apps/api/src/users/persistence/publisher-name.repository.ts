import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isDuplicateKey } from '@app/database';
import type { Model } from 'mongoose';
import type { PublisherOwner } from '../user.entity.js';
import { PublisherNameDoc } from './user.schema.js';

/** The publisher namespace shared by user handles and organisation slugs (see PublisherNameDoc). */
@Injectable()
export class PublisherNameRepository {
  constructor(@InjectModel(PublisherNameDoc.name) private readonly names: Model<PublisherNameDoc>) {}

  /** Claims `name` for `owner`; false when it is someone else's. Claiming one's own name again is true. */
  async claim(name: string, owner: PublisherOwner): Promise<boolean> {
    try {
      await this.names.create({ _id: name, owner_type: owner.type, owner_id: owner.id });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const current = await this.find(name);
      return current?.type === owner.type && current.id === owner.id;
    }
  }

  /** Gives a name back (when what claimed it could not be stored). */
  async release(name: string, owner: PublisherOwner): Promise<void> {
    await this.names.deleteOne({ _id: name, owner_type: owner.type, owner_id: owner.id }).exec();
  }

  /** The names of this list that someone holds. */
  async held(names: string[]): Promise<Set<string>> {
    if (!names.length) return new Set();
    const docs = await this.names
      .find({ _id: { $in: names } }, { _id: 1 })
      .lean<Array<{ _id: string }>>()
      .exec();
    return new Set(docs.map((d) => d._id));
  }

  async find(name: string): Promise<PublisherOwner | null> {
    const doc = await this.names.findById(name).lean<PublisherNameDoc>().exec();
    return doc ? { type: doc.owner_type, id: doc.owner_id } : null;
  }
}
