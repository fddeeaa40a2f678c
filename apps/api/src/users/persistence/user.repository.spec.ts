import { useTestDatabase } from '@app/database/testing.js';
import type { Model } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserRepository } from './user.repository.js';
import { UserDoc, UserSchema } from './user.schema.js';

const db = useTestDatabase('users');
let repo: UserRepository;
let model: Model<UserDoc>;
let n = 0;
const email = (tag: string) => `${tag}-${++n}@x.test`;
const newUser = (address: string, roles: Array<'admin' | 'user'> = ['user']) => ({
  email: address,
  name: address.split('@')[0],
  passwordHash: 'hash',
  roles,
});

beforeAll(async () => {
  model = await db.model(UserDoc.name, UserSchema);
  repo = new UserRepository(model);
});

describe('UserRepository', () => {
  it('finds a created user by id and by email, whatever the email’s case', async () => {
    const created = await repo.create(newUser(email('find')));
    expect([
      (await repo.findById(created.id))?.email,
      (await repo.findByEmail(created.email.toUpperCase()))?.id,
    ]).toEqual([created.email, created.id]);
  });

  it('refuses a second account with the same email as email_taken', async () => {
    const address = email('dup');
    await repo.create(newUser(address));
    await expect(repo.create(newUser(address))).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'email_taken' },
    });
  });

  it('answers null for an id that cannot exist, without asking the database to parse it', async () => {
    expect([await repo.findById('not-an-id'), await repo.update('x'.repeat(24), { name: 'n' })]).toEqual([null, null]);
  });

  it('finds by id or by email through one reference', async () => {
    const created = await repo.create(newUser(email('ref')));
    expect([(await repo.findByRef(created.id))?.id, (await repo.findByRef(created.email))?.id]).toEqual([
      created.id,
      created.id,
    ]);
  });

  it('counts the active admins other than one', async () => {
    const a = await repo.create(newUser(email('adm'), ['admin']));
    const before = await repo.countOtherActiveAdmins(a.id);
    const b = await repo.create(newUser(email('adm'), ['admin']));
    await repo.create(newUser(email('adm'), ['admin'])).then((c) => repo.update(c.id, { isActive: false }));
    expect([await repo.countOtherActiveAdmins(a.id), await repo.countOtherActiveAdmins(b.id)]).toEqual([
      before + 1,
      before + 1,
    ]);
  });

  it('lists a page of the matching users in the requested order, with the total', async () => {
    const tag = `page${Date.now()}`;
    for (const name of ['c', 'a', 'b'])
      await repo.create({ ...newUser(`${name}-${tag}@x.test`), name: `${name}-${tag}` });
    const page = await repo.list({ search: tag }, '-name', { offset: 1, limit: 1 });
    expect([page.count, page.items.map((u) => u.name)]).toEqual([3, [`b-${tag}`]]);
  });

  it('applies only the changes it is given', async () => {
    const created = await repo.create(newUser(email('patch')));
    const updated = await repo.update(created.id, { name: 'renamed', roles: undefined });
    expect([updated?.name, updated?.roles, updated?.email]).toEqual(['renamed', ['user'], created.email]);
  });

  it('reads a stored null role list and null activity as no roles and inactive, never as an admin', async () => {
    const address = email('nulls');
    await model.collection.insertOne({ email: address, name: 'n', password_hash: 'h', roles: null, is_active: null });
    const before = await repo.countActiveAdmins();
    expect([await repo.findByEmail(address), await repo.countActiveAdmins()]).toMatchObject([
      { roles: [], isActive: false, tokenVersion: 0 },
      before,
    ]);
  });

  it('raises the token version when sessions are revoked, and only then', async () => {
    const u = await repo.create(newUser(email('ver')));
    const named = await repo.update(u.id, { name: 'x' });
    const revoked = await repo.update(u.id, { passwordHash: 'h2' }, { revokeSessions: true });
    expect([u.tokenVersion, named?.tokenVersion, revoked?.tokenVersion]).toEqual([0, 0, 1]);
  });
});
