import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { containsIgnoreCase, type PlatformRole } from '@app/common';
import { isValidObjectId, type Model } from 'mongoose';
import type { User } from './user.entity.js';
import { UserDoc } from './user.schema.js';

type UserLean = UserDoc & { _id: unknown };

function toUser(doc: UserLean): User {
  return {
    id: String(doc._id),
    email: doc.email,
    name: doc.name,
    passwordHash: doc.password_hash,
    roles: doc.roles,
    isActive: doc.is_active,
    lastLoginAt: doc.last_login_at ?? null,
    createdAt: doc.created_at,
    updatedAt: doc.updated_at,
  };
}

export interface UserFilter {
  search?: string;
  role?: PlatformRole;
  isActive?: boolean;
}

/** The only place the users collection is touched. */
@Injectable()
export class UserRepository {
  constructor(@InjectModel(UserDoc.name) private readonly model: Model<UserDoc>) {}

  async create(input: { email: string; name: string; passwordHash: string; roles: PlatformRole[] }): Promise<User> {
    const doc = await this.model.create({
      email: input.email,
      name: input.name,
      password_hash: input.passwordHash,
      roles: input.roles,
    });
    return toUser(doc.toObject() as UserLean);
  }

  async findById(id: string): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    const doc = await this.model.findById(id).lean<UserLean>().exec();
    return doc ? toUser(doc) : null;
  }

  async findByIds(ids: string[]): Promise<User[]> {
    const valid = ids.filter((id) => isValidObjectId(id));
    const docs = await this.model
      .find({ _id: { $in: valid } })
      .lean<UserLean[]>()
      .exec();
    return docs.map(toUser);
  }

  async findByEmail(email: string): Promise<User | null> {
    const doc = await this.model.findOne({ email: email.toLowerCase() }).lean<UserLean>().exec();
    return doc ? toUser(doc) : null;
  }

  async countWithRole(role: PlatformRole): Promise<number> {
    return this.model.countDocuments({ roles: role }).exec();
  }

  private query(filter: UserFilter) {
    const q: Record<string, unknown> = {};
    if (filter.role) q.roles = filter.role;
    if (filter.isActive !== undefined) q.is_active = filter.isActive;
    if (filter.search) {
      const rx = containsIgnoreCase(filter.search);
      q.$or = [{ email: rx }, { name: rx }];
    }
    return q;
  }

  async list(filter: UserFilter, sort: Record<string, 1 | -1>, offset: number, limit: number) {
    const q = this.query(filter);
    const [count, docs] = await Promise.all([
      this.model.countDocuments(q).exec(),
      this.model.find(q).sort(sort).skip(offset).limit(limit).lean<UserLean[]>().exec(),
    ]);
    return { count, items: docs.map(toUser) };
  }

  async update(
    id: string,
    changes: Partial<{
      name: string;
      passwordHash: string;
      roles: PlatformRole[];
      isActive: boolean;
      lastLoginAt: Date;
    }>,
  ): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    const set: Record<string, unknown> = {};
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.passwordHash !== undefined) set.password_hash = changes.passwordHash;
    if (changes.roles !== undefined) set.roles = changes.roles;
    if (changes.isActive !== undefined) set.is_active = changes.isActive;
    if (changes.lastLoginAt !== undefined) set.last_login_at = changes.lastLoginAt;
    const doc = await this.model
      .findByIdAndUpdate(id, { $set: set }, { returnDocument: 'after' })
      .lean<UserLean>()
      .exec();
    return doc ? toUser(doc) : null;
  }
}
