/**
 * Plugin storage with many keys in one installation (issue 11): set, get, list(prefix) and usage at 1,000,
 * 10,000 and 50,000 keys, through the app's PluginStorageRepository on an in-memory embedded engine (not a test):
 *
 *   npm run build && npx tsx bench/plugin-storage.bench.ts
 *
 * With the usage counter and the key index their cost should not grow with the key count. `recount` is the scan
 * every set and list used to make (reading the sizes or keys of all the installation's documents), for comparison.
 */
import { performance } from 'node:perf_hooks';
import { fromDist, inProcessApp, median } from './support.js';

const { PluginStorageRepository } = await fromDist<
  typeof import('../apps/api/src/runtime/persistence/plugin-storage.repository.js')
>('runtime/persistence/plugin-storage.repository.js');

const app = await inProcessApp();
const storage = app.get(PluginStorageRepository);
const id = 'bench-installation';
const QUOTA = 1 << 30;
const SAMPLES = 200;

async function timed(fn: () => Promise<unknown>, samples = SAMPLES): Promise<number> {
  for (let i = 0; i < samples / 4; i++) await fn(); // warm up (JIT, the engine's plan cache)
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return Number(median(times).toFixed(3));
}

const rows: Record<string, Record<string, number>> = {};
let stored = 0;
for (const size of [1_000, 10_000, 50_000]) {
  while (stored < size) await storage.set(id, `k-${String(stored++).padStart(6, '0')}`, { n: stored }, QUOTA);
  let i = 0;
  rows[`${size} keys`] = {
    'set ms (p50)': await timed(() => storage.set(id, `k-${String(i++ % size).padStart(6, '0')}`, { n: i }, QUOTA)),
    'get ms (p50)': await timed(() => storage.get(id, 'k-000500')),
    'list 10-key prefix ms (p50)': await timed(() => storage.list(id, 'k-00050')),
    'usage ms (p50)': await timed(() => storage.usage(id)),
    'full scan (recount) ms (p50)': await timed(() => storage.recount(id), 10),
  };
  console.log(`${size} keys`, JSON.stringify(rows[`${size} keys`]));
}
await app.close();
console.table(rows);
