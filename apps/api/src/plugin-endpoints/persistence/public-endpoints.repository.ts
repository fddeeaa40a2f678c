import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isObjectIdString, toObjectId } from '@app/database';
import type { Model, Types } from 'mongoose';
import type { PublicEndpointsSwitch } from '../plugin-endpoints.entity.js';
import { PublicEndpointsDoc } from './public-endpoints.schema.js';

type Lean = PublicEndpointsDoc & { _id: Types.ObjectId };

const toSwitch = (d: Lean): PublicEndpointsSwitch => ({
  installationId: String(d.installation_id),
  pluginKey: d.plugin_key,
  allowed: d.allowed,
  setBy: String(d.set_by),
  setAt: d.set_at,
});

/** The plugin_public_endpoints collection: at most one switch per installation. */
@Injectable()
export class PublicEndpointsRepository {
  constructor(@InjectModel(PublicEndpointsDoc.name) private readonly model: Model<PublicEndpointsDoc>) {}

  async find(installationId: string): Promise<PublicEndpointsSwitch | null> {
    if (!isObjectIdString(installationId)) return null;
    const doc = await this.model
      .findOne({ installation_id: toObjectId(installationId) })
      .lean<Lean>()
      .exec();
    return doc ? toSwitch(doc) : null;
  }

  /** Sets the switch of an installation (created on first use; the unique index keeps one). */
  async set(value: PublicEndpointsSwitch): Promise<PublicEndpointsSwitch> {
    const doc = await this.model
      .findOneAndUpdate(
        { installation_id: toObjectId(value.installationId) },
        {
          $set: {
            plugin_key: value.pluginKey,
            allowed: value.allowed,
            set_by: toObjectId(value.setBy),
            set_at: value.setAt,
          },
        },
        { upsert: true, new: true },
      )
      .lean<Lean>()
      .exec();
    return toSwitch(doc);
  }

  async delete(installationId: string): Promise<void> {
    if (!isObjectIdString(installationId)) return;
    await this.model.deleteOne({ installation_id: toObjectId(installationId) }).exec();
  }
}
