import { useTestDatabase } from '@app/database/testing.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LogLevel, PluginLogLine } from '../metrics.entity.js';
import { PluginLogRepository, searchFilter, wordHeads } from './plugin-log.repository.js';
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
  const now = new Date(T0 - 30 * DAY); // the oldest time still retained

  beforeAll(async () => {
    repo = new PluginLogRepository(await db.model(PluginLogDoc.name, PluginLogSchema));
    await repo.append(
      Array.from({ length: 40 }, (_, i) => line('a', i)),
      30 * DAY,
    );
    await repo.append([line('b', 0, { message: 'other installation' })], 30 * DAY);
  });

  it('pages an installation newest first', async () => {
    const page = await repo.find({ installationId: 'a' }, { limit: 3, offset: 2 }, now);
    expect(page.count).toBe(40);
    expect(page.items.map((l) => l.message)).toEqual(['line 37 tick', 'line 36 tick', 'line 35 Order shipped']);
  });

  it('keeps lines at the minimum level and above', async () => {
    const page = await repo.find({ installationId: 'a', minLevel: 'warn' }, { limit: 100, offset: 0 }, now);
    expect(page.count).toBe(20);
    expect(new Set(page.items.map((l) => l.level))).toEqual(new Set(['warn', 'error']));
  });

  it('narrows to a time range, start included and end excluded', async () => {
    const range = { from: new Date(T0 + 10_000), to: new Date(T0 + 20_000) };
    const page = await repo.find({ installationId: 'a', ...range }, { limit: 100, offset: 0 }, now);
    expect(page.items.map((l) => l.at.getTime() - T0)).toEqual(Array.from({ length: 10 }, (_, i) => (19 - i) * 1000));
  });

  it('searches the message case-insensitively and literally', async () => {
    const page = await repo.find({ installationId: 'a', search: 'order SHIPPED' }, { limit: 100, offset: 0 }, now);
    expect(page.count).toBe(8);
    const regexy = await repo.find({ installationId: 'a', search: '.*' }, { limit: 100, offset: 0 }, now);
    expect(regexy.count).toBe(0);
  });

  it('matches the search where it starts a word; a search starting with a separator matches anywhere', async () => {
    const messages = ['Timeout after 3 s', 'runtime ready', 'a time-out', 'x[error] y', 'ok'];
    await repo.append(
      messages.map((message, i) => line('w', i, { message })),
      30 * DAY,
    );
    const search = async (text: string) =>
      (await repo.find({ installationId: 'w', search: text }, { limit: 100, offset: 0 }, now)).items
        .map((l) => l.message)
        .sort();
    expect(await search('TIME')).toEqual(['Timeout after 3 s', 'a time-out']);
    expect(await search('time-o')).toEqual(['a time-out']);
    expect(await search('untime')).toEqual([]);
    expect(await search('[error]')).toEqual(['x[error] y']);
    expect(await search('ok')).toEqual(['ok']);
    expect(await search('3 s')).toEqual(['Timeout after 3 s']);
  });

  it('looks a search up through the installation_head index when it has a word of 3 characters or more', async () => {
    const plan = async (text: string) => {
      const filter = { installation_id: 'a', at: { $gte: now }, ...searchFilter(text) };
      const res = await db.connection.db!.command({ explain: { find: 'plugin_logs', filter, sort: { at: -1 } } });
      return (res as { queryPlanner: { winningPlan: { inputStage?: { indexName: string } } } }).queryPlanner.winningPlan
        .inputStage?.indexName;
    };
    expect(await plan('reconciliation drift')).toBe('installation_head');
    expect(await plan('ok')).toBe('installation_at');
    expect(wordHeads('Order 12 of order 120, ok')).toEqual(['ord', '120']);
  });

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
        async (messages, pick, from, length) => {
          const id = `prop-${run++}`;
          await repo.append(
            messages.map((message, i) => line(id, i, { message })),
            30 * DAY,
          );
          const source = messages[pick % messages.length];
          const start = from % source.length;
          const search = source.slice(start, start + 1 + (length % 12)).trim();
          fc.pre(search.length > 0);
          const wordStart = /^[a-z0-9]/i.test(search);
          const expected = messages.filter((m) => {
            const lower = m.toLowerCase();
            const s = search.toLowerCase();
            for (let at = lower.indexOf(s); at !== -1; at = lower.indexOf(s, at + 1)) {
              if (!wordStart || at === 0 || !/[a-z0-9]/.test(lower[at - 1])) return true;
            }
            return false;
          });
          const page = await repo.find({ installationId: id, search }, { limit: 100, offset: 0 }, now);
          expect(page.items.map((l) => l.message).sort()).toEqual(expected.sort());
          expect(page.count).toBe(expected.length);
        },
      ),
      { numRuns: 40 },
    );
  }, 180_000); // 40 runs of two round trips each on a loaded machine

  it('round-trips fields, the request id and the truncation mark', async () => {
    const fields = { order: { id: 7, 'dotted.key': true, $dollar: 'x' } };
    await repo.append([line('c', 0, { fields, requestId: 'req-1', truncated: true })], 30 * DAY);
    const [stored] = (await repo.find({ installationId: 'c' }, { limit: 1, offset: 0 }, now)).items;
    expect(stored).toMatchObject({ fields, requestId: 'req-1', truncated: true, source: 'plugin' });
  });

  it('hides lines older than the retention cut-off, also within a requested range; the TTL index removes them', async () => {
    await repo.append([line('d', 0)], DAY);
    expect((await repo.find({ installationId: 'd' }, { limit: 5, offset: 0 }, new Date(T0))).count).toBe(1);
    expect((await repo.find({ installationId: 'd' }, { limit: 5, offset: 0 }, new Date(T0 + 1))).count).toBe(0);
    const early = { installationId: 'd', from: new Date(T0 - DAY) };
    expect((await repo.find(early, { limit: 5, offset: 0 }, new Date(T0 + 1))).count).toBe(0);
    const indexes = await db.connection.collection('plugin_logs').indexes();
    expect(indexes.find((i) => i.name === 'retention')).toMatchObject({ expireAfterSeconds: 0 });
  });

  it('gives heads to lines stored without them, batch by batch, so a search finds them; again it writes nothing', async () => {
    const raw = db.connection.collection('plugin_logs');
    await raw.insertMany(
      Array.from({ length: 5 }, (_, i) => ({
        installation_id: 'old',
        plugin_key: 'acme.p',
        at: new Date(T0 + i * 1000),
        level: 'info',
        severity: 20,
        message: i === 3 ? 'Payment refused by the bank' : `tick ${i}`,
        source: 'plugin',
        truncated: false,
        expires_at: new Date(T0 + 30 * DAY),
      })),
    );
    const search = () => repo.find({ installationId: 'old', search: 'refu' }, { limit: 10, offset: 0 }, now);
    expect((await search()).count).toBe(0); // no heads: the index has nothing to find

    const batches: number[] = [];
    let after: string | null = null;
    for (;;) {
      const batch = await repo.addMissingHeads(after, 2);
      if (batch.last === null) break;
      batches.push(batch.updated);
      after = batch.last;
    }
    // The fixture's other lines all have heads: only the five old ones are written, two at a time.
    expect(batches).toEqual([2, 2, 1]);
    expect((await search()).items.map((l) => l.message)).toEqual(['Payment refused by the bank']);
    expect(await repo.addMissingHeads(null, 2)).toEqual({ updated: 0, last: null });
  });
});
