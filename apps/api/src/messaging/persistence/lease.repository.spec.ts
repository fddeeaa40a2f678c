import { useTestDatabase } from '@app/database/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { LeaseRepository } from './lease.repository.js';
import { LeaseDoc, LeaseSchema } from './lease.schema.js';

const db = useTestDatabase('leases');
const TTL = 10_000;
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s));
let leases: LeaseRepository;

beforeAll(async () => {
  leases = new LeaseRepository(await db.model(LeaseDoc.name, LeaseSchema));
});

describe('LeaseRepository', () => {
  it('takes a free lease, renews its own, and refuses one another node holds live', async () => {
    expect(await leases.take('i1', 'a', at(0), TTL)).toEqual({ taken: true, from: null });
    expect(await leases.take('i1', 'a', at(5), TTL)).toEqual({ taken: true, from: null });
    expect((await leases.find('i1'))?.expiresAt).toEqual(at(15));
    expect(await leases.take('i1', 'b', at(14), TTL)).toEqual({ taken: false, holder: 'a' });
    expect((await leases.find('i1'))?.node).toBe('a');
  });

  it('hands an expired lease to the first node that takes it, naming the one that lost it', async () => {
    await leases.take('i2', 'a', at(0), TTL);
    const [first, second] = await Promise.all([
      leases.take('i2', 'b', at(10), TTL),
      leases.take('i2', 'c', at(10), TTL),
    ]);
    const winners = [first, second].filter((r) => r.taken);
    expect(winners).toEqual([{ taken: true, from: 'a' }]);
    const holder = (await leases.find('i2'))!.node;
    expect(['b', 'c']).toContain(holder);
    expect([first, second].find((r) => !r.taken)).toEqual({ taken: false, holder });
  });

  it('renews only what the node still holds, and lists what expired elsewhere', async () => {
    await leases.take('i3', 'a', at(0), TTL);
    await leases.take('i4', 'a', at(0), TTL);
    await leases.take('i4', 'b', at(11), TTL); // a's lease on i4 expired: b took it
    expect([...(await leases.renew(['i3', 'i4', 'i-none'], 'a', at(12), TTL))]).toEqual(['i3']);
    expect((await leases.find('i3'))?.expiresAt).toEqual(at(22));
    // By 0:30 every lease expired; a's own are not listed to a.
    const expired = await leases.expired('a', at(30), 100);
    expect(expired.map((l) => l.installationId).sort()).toEqual(['i2', 'i4']);
  });

  it('releases, expires and drops leases conditionally on their holder and expiry', async () => {
    await leases.take('i5', 'a', at(0), TTL);
    await leases.take('i6', 'a', at(0), TTL);
    expect(await leases.release(['i5', 'i4'], 'a')).toBe(1); // i4 is b's
    expect(await leases.find('i5')).toBeNull();
    expect(await leases.heldBy('a')).toEqual(expect.arrayContaining(['i1', 'i3', 'i6']));
    expect(await leases.expireAll('a', at(1))).toBeGreaterThanOrEqual(3);
    expect(await leases.take('i6', 'b', at(2), TTL)).toEqual({ taken: true, from: 'a' });
    expect(await leases.dropExpired(['i6', 'i3'], at(2))).toBe(1); // i6 is b's, live
    expect(await leases.find('i3')).toBeNull();
    expect((await leases.find('i6'))?.node).toBe('b');
  });
});
