import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { containsIgnoreCase, type PageWindow, type Slice } from '@app/common';
import { findLeanById, findLeanByIds, isObjectIdString, onDuplicateKey, paginate, toObjectId } from '@app/database';
import type { Model } from 'mongoose';
import type { NewOrganisation, Organisation, OrgFilter } from '../org.entity.js';
import { OrgSlugTakenError } from '../orgs.errors.js';
import { type OrgLean, toOrg } from './org.mapper.js';
import { OrganisationDoc } from './org.schema.js';

/** The organisations collection. */
@Injectable()
export class OrgRepository {
  constructor(@InjectModel(OrganisationDoc.name) private readonly orgs: Model<OrganisationDoc>) {}

  /** OrgSlugTakenError when the slug is in use (the unique index decides races). */
  async create(input: NewOrganisation): Promise<Organisation> {
    const doc = await onDuplicateKey(
      () =>
        this.orgs.create({
          slug: input.slug,
          name: input.name,
          description: input.description,
          created_by: toObjectId(input.createdBy),
        }),
      () => new OrgSlugTakenError(),
    );
    return toOrg(doc.toObject());
  }

  async delete(id: string): Promise<void> {
    await this.orgs.deleteOne({ _id: toObjectId(id) }).exec();
  }

  async findBySlug(slug: string): Promise<Organisation | null> {
    const doc = await this.orgs.findOne({ slug }).lean<OrgLean>().exec();
    return doc ? toOrg(doc) : null;
  }

  findById(id: string): Promise<Organisation | null> {
    return findLeanById(this.orgs, id, toOrg);
  }

  findByIds(ids: string[]): Promise<Organisation[]> {
    return findLeanByIds(this.orgs, ids, toOrg);
  }

  /** Organisations in id order after `afterId` (null: from the start), `limit` at a time: for start-up passes. */
  async pageAfter(afterId: string | null, limit: number): Promise<Organisation[]> {
    const q = afterId && isObjectIdString(afterId) ? { _id: { $gt: toObjectId(afterId) } } : {};
    const docs = await this.orgs.find(q).sort({ _id: 1 }).limit(limit).lean<OrgLean[]>().exec();
    return docs.map(toOrg);
  }

  /** By slug first, then by id. */
  async findByRef(slugOrId: string): Promise<Organisation | null> {
    return (await this.findBySlug(slugOrId)) ?? (await this.findById(slugOrId));
  }

  async list(filter: OrgFilter, window: PageWindow): Promise<Slice<Organisation>> {
    const q: Record<string, unknown> = {};
    if (filter.ids !== undefined) q._id = { $in: filter.ids.filter(isObjectIdString).map(toObjectId) };
    if (filter.search) {
      const rx = containsIgnoreCase(filter.search);
      q.$or = [{ slug: rx }, { name: rx }];
    }
    const slice = await paginate<OrganisationDoc, OrgLean>(this.orgs, q, { slug: 1 }, window);
    return { count: slice.count, items: slice.items.map(toOrg) };
  }
}
