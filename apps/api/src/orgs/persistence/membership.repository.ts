import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Clock, type OrgRole, type PageWindow, type Slice } from '@app/common';
import { isDuplicateKey, isObjectIdString, paginate, toObjectId } from '@app/database';
import type { Model, UpdateQuery } from 'mongoose';
import type { Membership } from '../org.entity.js';
import { MembershipDoc } from './membership.schema.js';
import { isOrgRole, type MemberLean, toMember } from './org.mapper.js';

/**
 * How long a user's organisation roles may be reused. Every call of a plugin (its endpoints, Execute) and every
 * access check needs them; the writes below forget the user's entry at once, so on this node a change counts for
 * the next request; on other API nodes within this window (as AUTH_USER_TTL_MS does for the user).
 */
export const MEMBERSHIP_ROLES_TTL_MS = 2000;
const ROLES_CACHE_MAX = 10_000;

/** The memberships collection: who belongs to which organisation, with which role. */
@Injectable()
export class MembershipRepository {
  /**
   * User id → their roles as last read. An entry is set as its read starts, so a write settling after that (which
   * deletes it) also drops a read it may have overtaken.
   */
  private readonly roles = new Map<string, { until: number; roles: Promise<ReadonlyMap<string, OrgRole>> }>();

  constructor(
    @InjectModel(MembershipDoc.name) private readonly members: Model<MembershipDoc>,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async find(orgId: string, userId: string): Promise<Membership | null> {
    if (!isObjectIdString(userId)) return null;
    const doc = await this.members
      .findOne({ org_id: toObjectId(orgId), user_id: toObjectId(userId) })
      .lean<MemberLean>()
      .exec();
    return doc && isOrgRole(doc.role) ? toMember(doc) : null;
  }

  /** Organisation id → role, for every organisation the user belongs to (cached: MEMBERSHIP_ROLES_TTL_MS). */
  rolesOf(userId: string): Promise<ReadonlyMap<string, OrgRole>> {
    const now = this.clock.nowMs();
    const hit = this.roles.get(userId);
    if (hit && hit.until > now) return hit.roles;
    const entry = { until: now + MEMBERSHIP_ROLES_TTL_MS, roles: this.readRoles(userId) };
    if (this.roles.size >= ROLES_CACHE_MAX) this.roles.clear();
    this.roles.set(userId, entry);
    // A failed read is not kept: the next call reads again.
    entry.roles.catch(() => {
      if (this.roles.get(userId) === entry) this.roles.delete(userId);
    });
    return entry.roles;
  }

  private async readRoles(userId: string): Promise<ReadonlyMap<string, OrgRole>> {
    if (!isObjectIdString(userId)) return new Map();
    const docs = await this.members
      .find({ user_id: toObjectId(userId) }, { org_id: 1, role: 1 })
      .lean<MemberLean[]>()
      .exec();
    // A stored role that is not one of ORG_ROLES (a null, say) grants nothing: it is not even membership.
    return new Map(docs.filter((d) => isOrgRole(d.role)).map((d) => [String(d.org_id), d.role]));
  }

  async list(orgId: string, window: PageWindow): Promise<Slice<Membership>> {
    const q = { org_id: toObjectId(orgId) };
    const slice = await paginate<MembershipDoc, MemberLean>(this.members, q, { joined_at: 1, _id: 1 }, window);
    return { count: slice.count, items: slice.items.map(toMember) };
  }

  countOwners(orgId: string): Promise<number> {
    return this.members.countDocuments({ org_id: toObjectId(orgId), role: 'owner' }).exec();
  }

  /** Adds a member or changes the role of an existing one. */
  upsert(orgId: string, userId: string, role: OrgRole): Promise<Membership> {
    return this.upsertOne(orgId, userId, { $set: { role }, $setOnInsert: { joined_at: new Date() } });
  }

  /** Adds a member with `role`; an existing member keeps the role they have (the unique index decides races). */
  addIfAbsent(orgId: string, userId: string, role: OrgRole): Promise<Membership> {
    return this.upsertOne(orgId, userId, { $setOnInsert: { role, joined_at: new Date() } });
  }

  async remove(orgId: string, userId: string): Promise<boolean> {
    try {
      const res = await this.members.deleteOne({ org_id: toObjectId(orgId), user_id: toObjectId(userId) }).exec();
      return res.deletedCount === 1;
    } finally {
      this.changed(userId);
    }
  }

  /** After a write to the user's memberships settled (failed or not): their cached roles are stale. */
  private changed(userId: string): void {
    this.roles.delete(userId);
  }

  /**
   * An upsert on the unique (org, user) pair. Two upserts racing can both miss and both insert, where the server
   * does not retry that itself; the loser's duplicate-key error means the membership now exists, so it is applied
   * once more as an update of that one (a 500 otherwise, for two simultaneous accepts).
   */
  private async upsertOne(orgId: string, userId: string, update: UpdateQuery<MembershipDoc>): Promise<Membership> {
    const filter = { org_id: toObjectId(orgId), user_id: toObjectId(userId) };
    const once = () =>
      this.members
        .findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'after', timestamps: false })
        .lean<MemberLean>()
        .exec();
    try {
      const doc = await once().catch((err: unknown) => {
        if (isDuplicateKey(err)) return once();
        throw err;
      });
      if (!doc) throw new Error(`upserting the membership of ${userId} in ${orgId} returned nothing`);
      return toMember(doc);
    } finally {
      this.changed(userId);
    }
  }
}
