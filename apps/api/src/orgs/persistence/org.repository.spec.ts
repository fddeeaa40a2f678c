import { useTestDatabase } from '@app/database/testing.js';
import { TestClock } from '@test/support/clock.js';
import { type Model, Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvitationRepository } from './invitation.repository.js';
import { InvitationDoc, InvitationSchema } from './invitation.schema.js';
import { MEMBERSHIP_ROLES_TTL_MS, MembershipRepository } from './membership.repository.js';
import { MembershipDoc, MembershipSchema } from './membership.schema.js';
import { OrgRepository } from './org.repository.js';
import { OrganisationDoc, OrganisationSchema } from './org.schema.js';

const db = useTestDatabase('orgs');
let orgs: OrgRepository;
let members: MembershipRepository;
let invitations: InvitationRepository;
let memberModel: Model<MembershipDoc>;
const clock = new TestClock();
let n = 0;
const USER = '0000000000000000000000a1';
const other = () => `0000000000000000000000${(++n).toString(16).padStart(2, '0')}`;
const org = (slug: string) => orgs.create({ slug: `${slug}-${++n}`, name: slug, description: '', createdBy: USER });

beforeAll(async () => {
  orgs = new OrgRepository(await db.model(OrganisationDoc.name, OrganisationSchema));
  memberModel = await db.model(MembershipDoc.name, MembershipSchema);
  members = new MembershipRepository(memberModel, clock);
  invitations = new InvitationRepository(await db.model(InvitationDoc.name, InvitationSchema));
});

describe('OrgRepository', () => {
  it('finds an organisation by slug or by id through one reference', async () => {
    const o = await org('ref');
    expect([(await orgs.findByRef(o.slug))?.id, (await orgs.findByRef(o.id))?.slug]).toEqual([o.id, o.slug]);
  });

  it('refuses a taken slug as slug_taken', async () => {
    const o = await org('dup');
    await expect(orgs.create({ slug: o.slug, name: 'x', description: '', createdBy: USER })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'slug_taken' },
    });
  });

  it('lists only the given organisations, in slug order', async () => {
    const [a, b] = [await org('zz-list'), await org('aa-list')];
    await org('other-list');
    const page = await orgs.list({ ids: [a.id, b.id] }, { offset: 0, limit: 10 });
    expect([page.count, page.items.map((o) => o.id)]).toEqual([2, [b.id, a.id]]);
  });
});

describe('MembershipRepository', () => {
  it('adds a member, then changes the role while keeping the join date', async () => {
    const o = await org('roles');
    const user = other();
    const added = await members.upsert(o.id, user, 'member');
    const changed = await members.upsert(o.id, user, 'admin');
    expect([changed.role, changed.joinedAt.getTime()]).toEqual(['admin', added.joinedAt.getTime()]);
  });

  it('maps every organisation of a user to its role', async () => {
    const [o1, o2] = [await org('map'), await org('map')];
    const user = other();
    await members.upsert(o1.id, user, 'owner');
    await members.upsert(o2.id, user, 'member');
    expect(await members.rolesOf(user)).toEqual(
      new Map([
        [o1.id, 'owner'],
        [o2.id, 'member'],
      ]),
    );
  });

  it('counts owners and removes members', async () => {
    const o = await org('count');
    const [a, b] = [other(), other()];
    await members.upsert(o.id, a, 'owner');
    await members.upsert(o.id, b, 'owner');
    await members.remove(o.id, b);
    expect([await members.countOwners(o.id), await members.find(o.id, b)]).toEqual([1, null]);
  });

  it('lists members in the order they joined', async () => {
    const o = await org('order');
    const users = [other(), other(), other()];
    for (const u of users) await members.upsert(o.id, u, 'member');
    expect((await members.list(o.id, { offset: 0, limit: 10 })).items.map((m) => m.userId)).toEqual(users);
  });

  it('keeps roles for the next calls, and forgets them at once when they change through it', async () => {
    const o = await org('cached');
    const user = other();
    await members.upsert(o.id, user, 'member');
    const first = await members.rolesOf(user);
    expect(await members.rolesOf(user)).toBe(first);
    await members.upsert(o.id, user, 'admin');
    expect(await members.rolesOf(user)).toEqual(new Map([[o.id, 'admin']]));
    await members.remove(o.id, user);
    expect(await members.rolesOf(user)).toEqual(new Map());
  });

  it('sees a change made elsewhere (another node) once MEMBERSHIP_ROLES_TTL_MS has passed', async () => {
    const o = await org('elsewhere');
    const user = other();
    await members.upsert(o.id, user, 'member');
    expect(await members.rolesOf(user)).toEqual(new Map([[o.id, 'member']]));
    await memberModel.deleteOne({ user_id: new Types.ObjectId(user) }).exec();
    expect(await members.rolesOf(user)).toEqual(new Map([[o.id, 'member']]));
    clock.advance(MEMBERSHIP_ROLES_TTL_MS);
    expect(await members.rolesOf(user)).toEqual(new Map());
  });

  it('adds a member once when several adds race, each answering the one membership', async () => {
    const o = await org('race');
    const user = other();
    const raced = await Promise.all([
      members.addIfAbsent(o.id, user, 'admin'),
      members.addIfAbsent(o.id, user, 'member'),
      members.upsert(o.id, user, 'admin'),
      members.addIfAbsent(o.id, user, 'admin'),
    ]);
    const stored = await members.list(o.id, { offset: 0, limit: 10 });
    expect(stored.count).toBe(1);
    expect(new Set(raced.map((m) => m.joinedAt.getTime())).size).toBe(1);
  });
});

describe('InvitationRepository', () => {
  it('closes a pending invitation once when several answers race', async () => {
    const o = await org('answers');
    const now = new Date();
    const inv = await invitations.create(
      {
        orgId: o.id,
        invitee: 'x@race.test',
        role: 'member',
        tokenHash: `h-${++n}`,
        invitedBy: USER,
        expiresAt: new Date(now.getTime() + 60_000),
      },
      now,
    );
    const closed = await Promise.all([
      invitations.close(inv.id, 'accepted', now),
      invitations.close(inv.id, 'accepted', now),
      invitations.close(inv.id, 'declined', now),
    ]);
    expect(closed.filter((c) => c !== null)).toHaveLength(1);
  });
});
