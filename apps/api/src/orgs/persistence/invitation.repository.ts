import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { isObjectIdString, paginate, toObjectId } from '@app/database';
import type { Model } from 'mongoose';
import type { Invitation, InvitationFilter, NewInvitation, StoredInvitationStatus } from '../org.entity.js';
import { InvitationDoc } from './invitation.schema.js';
import { type InvitationLean, toInvitation } from './org.mapper.js';

/** The org_invitations collection. Expiry is read against `now`, never written. */
@Injectable()
export class InvitationRepository {
  constructor(@InjectModel(InvitationDoc.name) private readonly invitations: Model<InvitationDoc>) {}

  /** A new pending invitation; one still pending for the same invitee is revoked, so only the newest token works. */
  async create(input: NewInvitation, now: Date): Promise<Invitation> {
    const orgId = toObjectId(input.orgId);
    await this.invitations
      .updateMany(
        { org_id: orgId, invitee: input.invitee, status: 'pending' },
        { $set: { status: 'revoked', responded_at: now } },
      )
      .exec();
    const doc = await this.invitations.create({
      org_id: orgId,
      invitee: input.invitee,
      role: input.role,
      token_hash: input.tokenHash,
      status: 'pending',
      invited_by: toObjectId(input.invitedBy),
      expires_at: input.expiresAt,
    });
    return toInvitation(doc.toObject(), now);
  }

  async findByTokenHash(hash: string, now: Date): Promise<Invitation | null> {
    const doc = await this.invitations.findOne({ token_hash: hash }).lean<InvitationLean>().exec();
    return doc ? toInvitation(doc, now) : null;
  }

  async findInOrg(orgId: string, id: string, now: Date): Promise<Invitation | null> {
    if (!isObjectIdString(id)) return null;
    const doc = await this.invitations
      .findOne({ _id: toObjectId(id), org_id: toObjectId(orgId) })
      .lean<InvitationLean>()
      .exec();
    return doc ? toInvitation(doc, now) : null;
  }

  /**
   * Closes a pending, unexpired invitation with `status`; null when it was not (any more) pending and unexpired,
   * so of two simultaneous answers only one wins.
   */
  async close(id: string, status: Exclude<StoredInvitationStatus, 'pending'>, now: Date): Promise<Invitation | null> {
    const doc = await this.invitations
      .findOneAndUpdate(
        { _id: toObjectId(id), status: 'pending', expires_at: { $gt: now } },
        { $set: { status, responded_at: now } },
        { returnDocument: 'after' },
      )
      .lean<InvitationLean>()
      .exec();
    return doc ? toInvitation(doc, now) : null;
  }

  /** Newest first. `expired` and `pending` are told apart by `now`. */
  async list(filter: InvitationFilter, window: PageWindow, now: Date): Promise<Slice<Invitation>> {
    const q: Record<string, unknown> = {};
    if (filter.orgId !== undefined) q.org_id = toObjectId(filter.orgId);
    if (filter.invitees !== undefined) q.invitee = { $in: filter.invitees };
    if (filter.status === 'expired') Object.assign(q, { status: 'pending', expires_at: { $lte: now } });
    else if (filter.status === 'pending') Object.assign(q, { status: 'pending', expires_at: { $gt: now } });
    else if (filter.status !== undefined) q.status = filter.status;
    const slice = await paginate<InvitationDoc, InvitationLean>(
      this.invitations,
      q,
      { created_at: -1, _id: -1 },
      window,
    );
    return { count: slice.count, items: slice.items.map((d) => toInvitation(d, now)) };
  }
}
