import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { containsIgnoreCase, type PageWindow, type PlatformRole, type Slice } from '@app/common';
import { findLeanById, findLeanByIds, isObjectIdString, onDuplicateKey, paginate, sortFor } from '@app/database';
import type { Model } from 'mongoose';
import type { NewUser, User, UserChanges, UserFilter, UserOrdering } from '../user.entity.js';
import { EmailTakenError } from '../users.errors.js';
import { toUser, toUserSet, type UserLean } from './user.mapper.js';
import { UserDoc } from './user.schema.js';

/** The only place the users collection is touched. */
@Injectable()
export class UserRepository {
  constructor(@InjectModel(UserDoc.name) private readonly model: Model<UserDoc>) {}

  /** The unique email index decides between concurrent sign-ups. */
  async create(input: NewUser): Promise<User> {
    const doc = await onDuplicateKey(
      () =>
        this.model.create({
          email: input.email,
          name: input.name,
          password_hash: input.passwordHash,
          roles: input.roles,
        }),
      () => new EmailTakenError(),
    );
    return toUser(doc.toObject());
  }

  /** Removes an account that could not be completed (its handle was taken). */
  async delete(id: string): Promise<void> {
    if (!isObjectIdString(id)) return;
    await this.model.deleteOne({ _id: id }).exec();
  }

  findById(id: string): Promise<User | null> {
    return findLeanById(this.model, id, toUser);
  }

  findByIds(ids: string[]): Promise<User[]> {
    return findLeanByIds(this.model, ids, toUser);
  }

  async findByEmail(email: string): Promise<User | null> {
    const doc = await this.model.findOne({ email: email.toLowerCase() }).lean<UserLean>().exec();
    return doc ? toUser(doc) : null;
  }

  /** A user named by id or by email address. */
  findByRef(ref: string): Promise<User | null> {
    return isObjectIdString(ref) ? this.findById(ref) : this.findByEmail(ref);
  }

  countWithRole(role: PlatformRole): Promise<number> {
    return this.model.countDocuments({ roles: role }).exec();
  }

  /** Platform admins that can act: `is_active` exactly true (a null is not active). */
  countActiveAdmins(): Promise<number> {
    return this.model.countDocuments({ roles: 'admin', is_active: true }).exec();
  }

  /** Accounts from before handles existed, in creation order (each gets one at start-up). */
  async listWithoutHandle(limit: number): Promise<User[]> {
    const docs = await this.model
      .find({ handle: { $exists: false } })
      .sort({ created_at: 1, _id: 1 })
      .limit(limit)
      .lean<UserLean[]>()
      .exec();
    return docs.map(toUser);
  }

  /** Sets the handle of an account that has none; false when it already had one. */
  async setMissingHandle(id: string, handle: string): Promise<boolean> {
    if (!isObjectIdString(id)) return false;
    const res = await this.model.updateOne({ _id: id, handle: { $exists: false } }, { $set: { handle } }).exec();
    return res.modifiedCount === 1;
  }

  /** Active platform admins other than `excludeId`. */
  countOtherActiveAdmins(excludeId: string): Promise<number> {
    const others = isObjectIdString(excludeId) ? { _id: { $ne: excludeId } } : {};
    return this.model.countDocuments({ roles: 'admin', is_active: true, ...others }).exec();
  }

  async list(filter: UserFilter, ordering: UserOrdering, window: PageWindow): Promise<Slice<User>> {
    const q: Record<string, unknown> = {};
    if (filter.role) q.roles = filter.role;
    if (filter.isActive !== undefined) q.is_active = filter.isActive;
    if (filter.search) {
      const rx = containsIgnoreCase(filter.search);
      q.$or = [{ email: rx }, { name: rx }];
    }
    const slice = await paginate(this.model, q, sortFor(ordering), window);
    return { count: slice.count, items: slice.items.map(toUser) };
  }

  /** Applies the changes; `revokeSessions` also raises the token version, which ends every JWT issued before. */
  async update(id: string, changes: UserChanges, options: { revokeSessions?: boolean } = {}): Promise<User | null> {
    if (!isObjectIdString(id)) return null;
    const update = { $set: toUserSet(changes), ...(options.revokeSessions ? { $inc: { token_version: 1 } } : {}) };
    const doc = await this.model.findByIdAndUpdate(id, update, { returnDocument: 'after' }).lean<UserLean>().exec();
    return doc ? toUser(doc) : null;
  }
}
