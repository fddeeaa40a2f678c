import { useTestDatabase } from '@app/database/testing.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LogLevel, PluginLogLine } from '../metrics.entity.js';
import { logTerms, PluginLogRepository, SEARCH_COUNT_UP_TO, searchFilter } from './plugin-log.repository.js';
import { PluginLogDoc, PluginLogSchema } from './plugin-log.schema.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 30, 10, 0);
const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

function line(installationId: string, i: number, extra: Partial<PluginLogLine> = {}): PluginLogLine {
  return {
    installationId,
    pluginKey: 'acme.p',
    at: new Date(T0 + i * 1000),
    level: LEVELS[i % 4],
    message: `line ${i} ${i % 5 === 0 ? 'Order shipped' : 'tick'}`,
    source: 'plugin',
    truncated: false,
    ...extra,
  };
}

describe('PluginLogRepository', () => {
  const db = useTestDatabase('plugin_logs');
  let repo: PluginLogRepository;
  const notBefore = new Date(T0 - 30 * DAY); // the oldest time still retained
  const now = new Date(T0 + DAY);
  const find = (query: Parameters<PluginLogRepository['find']>[0], limit = 100, offset = 0) =>
    repo.find(query, { limit, offset }, notBefore, now);
  const plan = async (verb: 'find' | 'count', filter: Record<string, unknown>) => {
    const command =
      verb === 'find'
        ? { find: 'plugin_logs', filter, sort: { at: -1, _id: -1 } }
        : { count: 'plugin_logs', query: filter };
    const res = await db.connection.db!.command({ explain: command });
    const { inputStage } = (
      res as { queryPlanner: { winningPlan: { inputStage?: { stage: string; indexName: string } } } }
    ).queryPlanner.winningPlan;
    return inputStage && `${inputStage.stage} ${inputStage.indexName}`;
  };

  beforeAll(async () => {
    repo = new PluginLogRepository(await db.model(PluginLogDoc.name, PluginLogSchema));
    await repo.append(
      Array.from({ length: 40 }, (_, i) => line('a', i)),
      30 * DAY,
    );
    await repo.append([line('b', 0, { message: 'other installation' })], 30 * DAY);
  });

  it('pages an installation newest first', async () => {
    const page = await find({ installationId: 'a' }, 3, 2);
    expect(page).toMatchObject({ count: 40, countRelation: 'eq' });
    expect(page.items.map((l) => l.message)).toEqual(['line 37 tick', 'line 36 tick', 'line 35 Order shipped']);
  });

  it('keeps lines at the minimum level and above', async () => {
    const page = await find({ installationId: 'a', minLevel: 'warn' });
    expect(page).toMatchObject({ count: 20, countRelation: 'eq' });
    expect(new Set(page.items.map((l) => l.level))).toEqual(new Set(['warn', 'error']));
    expect(page.items.map((l) => l.at.getTime())).toEqual(page.items.map((l) => l.at.getTime()).sort((x, y) => y - x));
    const second = await find({ installationId: 'a', minLevel: 'error' }, 3, 1);
    expect(second.items.map((l) => l.message)).toEqual(['line 35 Order shipped', 'line 31 tick', 'line 27 tick']);
    expect(second.count).toBe(10);
  });

  it('reads a level page in time order from installation_severity_at and counts it from the index alone', async () => {
    const filter = { installation_id: 'a', at: { $gte: notBefore }, severity: { $in: [30, 40] } };
    expect(await plan('find', filter)).toBe('SORT_MERGE installation_severity_at');
    expect(await plan('count', filter)).toBe('COUNT_SCAN installation_severity_at');
    expect(await plan('count', { installation_id: 'a', at: { $gte: notBefore, $lt: now } })).toBe(
      'COUNT_SCAN installation_at',
    );
  });

  it('narrows to a time range, start included and end excluded', async () => {
    const range = { from: new Date(T0 + 10_000), to: new Date(T0 + 20_000) };
    const page = await find({ installationId: 'a', ...range });
    expect(page.items.map((l) => l.at.getTime() - T0)).toEqual(Array.from({ length: 10 }, (_, i) => (19 - i) * 1000));
  });

  it('searches the message case-insensitively and literally', async () => {
    const page = await find({ installationId: 'a', search: 'order SHIPPED' });
    expect(page).toMatchObject({ count: 8, countRelation: 'eq' });
    const regexy = await find({ installationId: 'a', search: '.*' });
    expect(regexy.count).toBe(0);
    const warn = await find({ installationId: 'a', search: 'order', minLevel: 'error' });
    expect(warn.items.map((l) => l.message)).toEqual(['line 35 Order shipped', 'line 15 Order shipped']);
  });

  it('matches the search where it starts a word; a search starting with a separator matches anywhere', async () => {
    const messages = ['Timeout after 3 s', 'runtime ready', 'a time-out', 'x[error] y', 'ok'];
    await repo.append(
      messages.map((message, i) => line('w', i, { message })),
      30 * DAY,
    );
    const search = async (text: string) =>
      (await find({ installationId: 'w', search: text })).items.map((l) => l.message).sort();
    expect(await search('TIME')).toEqual(['Timeout after 3 s', 'a time-out']);
    expect(await search('time-o')).toEqual(['a time-out']);
    expect(await search('untime')).toEqual([]);
    expect(await search('[error]')).toEqual(['x[error] y']);
    expect(await search('ok')).toEqual(['ok']);
    expect(await search('3 s')).toEqual(['Timeout after 3 s']);
  });

  it('looks a search up through the installation_terms_at index when its words give a term', async () => {
    const index = (text: string) =>
      plan('find', { installation_id: 'a', at: { $gte: notBefore }, ...searchFilter(text) });
    expect(await index('reconciliation drift')).toBe('IXSCAN installation_terms_at');
    // The pair `ord 1` is a prefix (`1` may start a longer word): a range of terms, which the engine may read as one
    // run per stored term in it, merged in time order.
    expect(await index('order 1')).toMatch(/^(IXSCAN|SORT_MERGE) installation_terms_at$/);
    expect(await index('ok')).toBe('IXSCAN installation_at');
    expect(await index('ſtop')).toBe('IXSCAN installation_at'); // outside ASCII: no terms
    expect(logTerms('Order 12 of order 120, ok')).toEqual(['ord', 'ord 12', '12 of', 'of or', '120', '120 ok']);
    expect(searchFilter('order 12').terms).toEqual({ $all: ['ord', 'ord 12'] });
    expect(searchFilter('a b').terms).toBeUndefined(); // `b` may be the start of a longer word
    expect(searchFilter('a b ').terms).toEqual({ $all: ['a b'] });
  });

  it('finds a search through time windows newest first, its count exact up to SEARCH_COUNT_UP_TO', async () => {
    // Lines every 10 minutes over 5 days: the windows (an hour, then longer) split them many ways.
    const spread = Array.from({ length: 720 }, (_, i) =>
      line('s', 0, {
        at: new Date(now.getTime() - 1 - i * 600_000),
        message: `batch ${i} ${i % 3 === 0 ? 'late' : 'ok'}`,
      }),
    );
    await repo.append(spread, 30 * DAY);
    const late = spread.filter((l) => l.message.endsWith('late'));
    for (const [offset, limit] of [
      [0, 5],
      [7, 30],
      [230, 20],
      [0, 240],
    ]) {
      const page = await find({ installationId: 's', search: 'late' }, limit, offset);
      expect(page).toMatchObject({ count: 240, countRelation: 'eq' });
      expect(page.items.map((l) => l.message)).toEqual(late.slice(offset, offset + limit).map((l) => l.message));
    }
    const ranged = await find({
      installationId: 's',
      search: 'late',
      from: new Date(now.getTime() - DAY),
      to: new Date(now.getTime() - 3_600_000),
    });
    expect(ranged.count).toBe(
      late.filter((l) => l.at.getTime() >= now.getTime() - DAY && l.at.getTime() < now.getTime() - 3_600_000).length,
    );

    const many = Array.from({ length: SEARCH_COUNT_UP_TO + 5 }, (_, i) =>
      line('n', 0, { at: new Date(now.getTime() - 1 - i * 1000), message: `hit ${i}` }),
    );
    await repo.append(many, 30 * DAY);
    const first = await find({ installationId: 'n', search: 'hit' }, 10);
    expect(first).toMatchObject({ count: SEARCH_COUNT_UP_TO + 1, countRelation: 'gte' });
    expect(first.items.map((l) => l.message)).toEqual(many.slice(0, 10).map((l) => l.message));
    const last = await find({ installationId: 'n', search: 'hit' }, 10, SEARCH_COUNT_UP_TO);
    expect(last).toMatchObject({ count: SEARCH_COUNT_UP_TO + 5, countRelation: 'eq' });
    expect(last.items.map((l) => l.message)).toEqual(many.slice(SEARCH_COUNT_UP_TO).map((l) => l.message));
    // No search: counted from the index up to the same bound, exact when the page reaches past it.
    expect(await find({ installationId: 'n' })).toMatchObject({ count: SEARCH_COUNT_UP_TO + 1, countRelation: 'gte' });
    const past = await find({ installationId: 'n' }, 10, SEARCH_COUNT_UP_TO);
    expect(past).toMatchObject({ count: SEARCH_COUNT_UP_TO + 5, countRelation: 'eq' });
    expect(past.items.map((l) => l.message)).toEqual(many.slice(SEARCH_COUNT_UP_TO).map((l) => l.message));
  }, 120_000);

  it('finds exactly the lines a scan would, whatever the messages and the search (property)', async () => {
    const word = fc.stringMatching(/^[a-zA-Z0-9]{1,6}$/);
    const sep = fc.constantFrom(' ', '-', '.', ': ', '[', ']', 'é');
    const text = fc
      .array(fc.tuple(word, sep), { minLength: 1, maxLength: 5 })
      .map((parts) => parts.map(([w, s]) => w + s).join(''));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(text, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.array(fc.integer({ min: 1, max: 5 * 24 * 60 }), { minLength: 12, maxLength: 12 }),
        fc.constantFrom<Array<LogLevel | undefined>>(undefined, 'info', 'warn', 'error'),
        async (messages, pick, from, length, minutesAgo, minLevel) => {
          const id = `prop-${run++}`;
          // Spread over five days: the search's time windows split them anywhere.
          const lines = messages.map((message, i) =>
            line(id, i, { message, at: new Date(now.getTime() - minutesAgo[i] * 60_000 - i) }),
          );
          await repo.append(lines, 30 * DAY);
          const source = messages[pick % messages.length];
          const start = from % source.length;
          const search = source.slice(start, start + 1 + (length % 12)).trim();
          fc.pre(search.length > 0);
          const wordStart = /^[a-z0-9]/i.test(search);
          const min = minLevel ? LEVELS.indexOf(minLevel) : 0;
          const expected = lines
            .filter((l) => LEVELS.indexOf(l.level) >= min)
            .map((l) => l.message)
            .filter((m) => {
              const lower = m.toLowerCase();
              const s = search.toLowerCase();
              for (let at = lower.indexOf(s); at !== -1; at = lower.indexOf(s, at + 1)) {
                if (!wordStart || at === 0 || !/[a-z0-9]/.test(lower[at - 1])) return true;
              }
              return false;
            });
          const page = await find({ installationId: id, search, minLevel });
          expect(page.items.map((l) => l.message).sort()).toEqual(expected.sort());
          expect(page.items.map((l) => l.at.getTime())).toEqual(
            page.items.map((l) => l.at.getTime()).sort((a, b) => b - a),
          );
          expect(page).toMatchObject({ count: expected.length, countRelation: 'eq' });
        },
      ),
      { numRuns: 40 },
    );
  }, 180_000); // 40 runs of two round trips each on a loaded machine

  it('round-trips fields, the request id and the truncation mark', async () => {
    const fields = { order: { id: 7, 'dotted.key': true, $dollar: 'x' } };
    await repo.append([line('c', 0, { fields, requestId: 'req-1', truncated: true })], 30 * DAY);
    const [stored] = (await find({ installationId: 'c' }, 1)).items;
    expect(stored).toMatchObject({ fields, requestId: 'req-1', truncated: true, source: 'plugin' });
  });

  it('hides lines older than the retention cut-off, also within a requested range; the TTL index removes them', async () => {
    await repo.append([line('d', 0)], DAY);
    const window = { limit: 5, offset: 0 };
    expect((await repo.find({ installationId: 'd' }, window, new Date(T0), now)).count).toBe(1);
    expect((await repo.find({ installationId: 'd' }, window, new Date(T0 + 1), now)).count).toBe(0);
    const early = { installationId: 'd', from: new Date(T0 - DAY) };
    expect((await repo.find(early, window, new Date(T0 + 1), now)).count).toBe(0);
    expect((await repo.find({ ...early, search: 'line' }, window, new Date(T0 + 1), now)).count).toBe(0);
    const indexes = await db.connection.collection('plugin_logs').indexes();
    expect(indexes.find((i) => i.name === 'retention')).toMatchObject({ expireAfterSeconds: 0 });
  });

  it('gives terms to lines stored without them, batch by batch, so a search finds them; again it writes nothing', async () => {
    const raw = db.connection.collection('plugin_logs');
    await raw.insertMany(
      Array.from({ length: 5 }, (_, i) => ({
        installation_id: 'old',
        plugin_key: 'acme.p',
        at: new Date(T0 + i * 1000),
        level: 'info',
        severity: 20,
        message: i === 3 ? 'Payment refused by the bank' : `tick ${i}`,
        // Some were written with the word heads searches read before terms.
        ...(i % 2 === 0 ? { heads: ['tic'] } : {}),
        source: 'plugin',
        truncated: false,
        expires_at: new Date(T0 + 30 * DAY),
      })),
    );
    await raw.createIndex({ installation_id: 1, heads: 1, at: -1 }, { name: 'installation_head' });
    const search = () => find({ installationId: 'old', search: 'refused by' }, 10);
    expect((await search()).count).toBe(0); // no terms: the index has nothing to find

    const batches: number[] = [];
    let after: string | null = null;
    for (;;) {
      const batch = await repo.addMissingTerms(after, 2);
      if (batch.last === null) break;
      batches.push(batch.updated);
      after = batch.last;
    }
    // The fixture's other lines all have terms: only the five old ones are written, two at a time.
    expect(batches).toEqual([2, 2, 1]);
    expect((await search()).items.map((l) => l.message)).toEqual(['Payment refused by the bank']);
    expect(await raw.countDocuments({ heads: { $exists: true } })).toBe(0);
    expect(await repo.addMissingTerms(null, 2)).toEqual({ updated: 0, last: null });

    expect(await repo.dropHeadsIndex()).toBe(true);
    expect((await raw.indexes()).map((i) => i.name)).not.toContain('installation_head');
    expect(await repo.dropHeadsIndex()).toBe(false);
  });

  it('replaces the search index from before _id by installation_terms_at, keeping searches answered; again it does nothing', async () => {
    const raw = db.connection.collection('plugin_logs');
    await raw.dropIndex('installation_terms_at');
    await raw.createIndex({ installation_id: 1, terms: 1, at: -1 }, { name: 'installation_terms' });
    expect(await repo.replaceTermsIndex()).toBe(true);
    const names = (await raw.indexes()).map((i) => i.name);
    expect(names).toContain('installation_terms_at');
    expect(names).not.toContain('installation_terms');
    expect((await raw.indexes()).find((i) => i.name === 'installation_terms_at')?.key).toEqual({
      installation_id: 1,
      terms: 1,
      at: -1,
      _id: -1,
    });
    const page = await find({ installationId: 'a', search: 'order shipped' }, 3);
    expect(page.items.map((l) => l.message)).toEqual([
      'line 35 Order shipped',
      'line 30 Order shipped',
      'line 25 Order shipped',
    ]);
    expect(await repo.replaceTermsIndex()).toBe(false);
  });
});
