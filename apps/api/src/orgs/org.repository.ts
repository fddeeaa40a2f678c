import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { containsIgnoreCase, type OrgRole } from '@app/common';
import { isValidObjectId, type Model, Types } from 'mongoose';
import { MembershipDoc, OrganisationDoc } from './org.schema.js';

export interface Organisation {
  id: string;
  slug: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
}

export interface Membership {
  orgId: string;
  userId: string;
  role: OrgRole;
  joinedAt: Date;
}

type OrgLean = OrganisationDoc & { _id: Types.ObjectId };
type MemberLean = MembershipDoc & { _id: Types.ObjectId };

const toOrg = (d: OrgLean): Organisation => ({
  id: String(d._id),
  slug: d.slug,
  name: d.name,
  description: d.description,
  createdBy: String(d.created_by),
  createdAt: d.created_at,
});
const toMember = (d: MemberLean): Membership => ({
  orgId: String(d.org_id),
  userId: String(d.user_id),
  role: d.role,
  joinedAt: d.joined_at,
});
const oid = (id: string) => new Types.ObjectId(id);

@Injectable()
export class OrgRepository {
  constructor(
    @InjectModel(OrganisationDoc.name) private readonly orgs: Model<OrganisationDoc>,
    @InjectModel(MembershipDoc.name) private readonly members: Model<MembershipDoc>,
  ) {}

  async create(input: { slug: string; name: string; description: string; createdBy: string }): Promise<Organisation> {
    const doc = await this.orgs.create({
      slug: input.slug,
      name: input.name,
      description: input.description,
      created_by: oid(input.createdBy),
    });
    return toOrg(doc.toObject() as OrgLean);
  }

  async deleteOrg(id: string): Promise<void> {
    await this.orgs.deleteOne({ _id: oid(id) }).exec();
  }

  async findBySlug(slug: string): Promise<Organisation | null> {
    const doc = await this.orgs.findOne({ slug }).lean<OrgLean>().exec();
    return doc ? toOrg(doc) : null;
  }

  async findById(id: string): Promise<Organisation | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.orgs.findById(id).lean<OrgLean>().exec();
    return doc ? toOrg(doc) : null;
  }

  async list(filter: { memberOf?: string; search?: string }, offset: number, limit: number) {
    const q: Record<string, unknown> = {};
    if (filter.memberOf !== undefined) {
      const mine = await this.members
        .find({ user_id: oid(filter.memberOf) }, { org_id: 1 })
        .lean<MemberLean[]>()
        .exec();
      q._id = { $in: mine.map((m) => m.org_id) };
    }
    if (filter.search) {
      const rx = containsIgnoreCase(filter.search);
      q.$or = [{ slug: rx }, { name: rx }];
    }
    const [count, docs] = await Promise.all([
      this.orgs.countDocuments(q).exec(),
      this.orgs.find(q).sort({ slug: 1 }).skip(offset).limit(limit).lean<OrgLean[]>().exec(),
    ]);
    return { count, items: docs.map(toOrg) };
  }

  async membership(orgId: string, userId: string): Promise<Membership | null> {
    const doc = await this.members
      .findOne({ org_id: oid(orgId), user_id: oid(userId) })
      .lean<MemberLean>()
      .exec();
    return doc ? toMember(doc) : null;
  }

  async membershipsOf(userId: string): Promise<Membership[]> {
    const docs = await this.members
      .find({ user_id: oid(userId) })
      .lean<MemberLean[]>()
      .exec();
    return docs.map(toMember);
  }

  async listMembers(orgId: string, offset: number, limit: number) {
    const q = { org_id: oid(orgId) };
    const [count, docs] = await Promise.all([
      this.members.countDocuments(q).exec(),
      this.members.find(q).sort({ joined_at: 1, _id: 1 }).skip(offset).limit(limit).lean<MemberLean[]>().exec(),
    ]);
    return { count, items: docs.map(toMember) };
  }

  async countOwners(orgId: string): Promise<number> {
    return this.members.countDocuments({ org_id: oid(orgId), role: 'owner' }).exec();
  }

  /** Adds a member or changes the role of an existing one. */
  async upsertMember(orgId: string, userId: string, role: OrgRole): Promise<Membership> {
    const doc = await this.members
      .findOneAndUpdate(
        { org_id: oid(orgId), user_id: oid(userId) },
        { $set: { role }, $setOnInsert: { joined_at: new Date() } },
        { upsert: true, returnDocument: 'after', timestamps: false },
      )
      .lean<MemberLean>()
      .exec();
    return toMember(doc!);
  }

  async removeMember(orgId: string, userId: string): Promise<boolean> {
    const res = await this.members.deleteOne({ org_id: oid(orgId), user_id: oid(userId) }).exec();
    return res.deletedCount === 1;
  }
}
