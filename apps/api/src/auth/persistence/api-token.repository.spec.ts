import { useTestDatabase } from '@app/database/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiTokenRepository } from './api-token.repository.js';
import { ApiTokenDoc, ApiTokenSchema } from './api-token.schema.js';

const db = useTestDatabase('api_tokens');
let repo: ApiTokenRepository;
let n = 0;
const OWNER = '0000000000000000000000b1';
const token = (userId = OWNER) =>
  repo.create({ userId, name: `t${++n}`, keyHash: `hash-${n}`, keyPrefix: 'phk_x', scopes: ['read'], expiresAt: null });

beforeAll(async () => {
  repo = new ApiTokenRepository(await db.model(ApiTokenDoc.name, ApiTokenSchema));
});

describe('ApiTokenRepository', () => {
  it('finds a token by the hash of its key', async () => {
    const t = await token();
    expect((await repo.findByHash(`hash-${n}`))?.id).toBe(t.id);
  });

  it('revokes a token of its own user only', async () => {
    const t = await token();
    const someoneElse = await repo.revoke('0000000000000000000000b2', t.id, new Date());
    const owner = await repo.revoke(OWNER, t.id, new Date());
    expect([someoneElse, owner, await repo.revoke(OWNER, t.id, new Date())]).toEqual([false, true, false]);
  });

  it('lists the live tokens of a user, newest first', async () => {
    const user = '0000000000000000000000b3';
    const [a, b, c] = [await token(user), await token(user), await token(user)];
    await repo.revoke(user, b.id, new Date());
    const page = await repo.listLive(user, { offset: 0, limit: 10 });
    expect([page.count, page.items.map((t) => t.id)]).toEqual([2, [c.id, a.id]]);
  });
});
