/**
 * The server side of bench/registry-catalog.bench.ts: boots the compiled app on an in-memory embedded engine,
 * seeds N published, approved plugins in bulk through the registry's own repositories (the documents its writes store,
 * not hand-made ones), and prints `LISTENING <port>`. Run by the bench as a child process, so load generation
 * never shares its event loop. It also prints `STATS <port>`: a second listener answering, as JSON, the database
 * operations the app has sent so far (collection.method → count, through Mongoose's debug hook) and the catalog
 * cache's hits and misses, and the pages answered from a built answer (plugin-views.ts) and built, so the bench can
 * give them per request.
 */
import { createServer } from 'node:http';
import mongoose from 'mongoose';
import { CATEGORIES, WORDS } from './registry-catalog.data.js';

const N = Number(process.env.BENCH_PLUGINS ?? 10_000);
const dist = '../dist/apps/api/src';
type Module<T> = Promise<T>;
const { loadConfig } = await (import(`${dist}/config/app-config.js`) as Module<
  typeof import('../apps/api/src/config/app-config.js')
>);
const { createApp } = await (import(`${dist}/create-app.js`) as Module<typeof import('../apps/api/src/create-app.js')>);
const { buildArtifact, digestOf, manifestBytes, sha256Hex } = await (import(`${dist}/registry/artifact.js`) as Module<
  typeof import('../apps/api/src/registry/artifact.js')
>);
const { PluginRepository } = await (import(`${dist}/registry/persistence/plugin.repository.js`) as Module<
  typeof import('../apps/api/src/registry/persistence/plugin.repository.js')
>);
const { PluginViews } = await (import(`${dist}/registry/plugin-views.js`) as Module<
  typeof import('../apps/api/src/registry/plugin-views.js')
>);
const { averageOf } = await (import(`${dist}/registry/plugin-reviews.service.js`) as Module<
  typeof import('../apps/api/src/registry/plugin-reviews.service.js')
>);
const { PluginVersionRepository } = await (import(
  `${dist}/registry/persistence/plugin-version.repository.js`
) as Module<typeof import('../apps/api/src/registry/persistence/plugin-version.repository.js')>);

const config = loadConfig({ ...process.env, PLUGHUB_DB_MEMORY: 'true', PORT: '0', HOST: '127.0.0.1' });
const app = await createApp(config);
const plugins = app.get(PluginRepository);
const versions = app.get(PluginVersionRepository);
const views = app.get(PluginViews);

type Imported = import('../apps/api/src/registry/persistence/plugin.repository.js').ImportedPlugin;
type Version = Parameters<typeof versions.insertMany>[0][number];

/** Plugin i as a publish, its approval and i % 17 reviews and a few downloads leave it. */
async function entry(i: number): Promise<{ plugin: Imported; version: Version }> {
  const word = WORDS[i % WORDS.length];
  const key = `pub${i % 250}.${word}-${i}`;
  const name = `${word[0].toUpperCase()}${word.slice(1)} tool ${i}`;
  const description = `Collects ${word} data and ships it to ${WORDS[(i * 3) % WORDS.length]} targets, number ${i}.`;
  const tags = [word, WORDS[(i * 5) % WORDS.length]];
  const category = CATEGORIES[(i * 7) % CATEGORIES.length];
  const manifest = {
    key,
    name,
    version: '1.0.0',
    description,
    category,
    tags,
    runtime: { type: 'sandbox', entry: 'runner.js' },
  };
  const runner = Buffer.from(`export function onMessage(m) { return ${i}; }\n`);
  const bytes = await buildArtifact([
    { role: 'manifest', path: 'manifest.json', content: manifestBytes(manifest) },
    { role: 'runner', path: 'runner.js', content: runner },
  ]);
  const at = new Date(Date.now() - (N - i) * 1000);
  const reviews = i % 17;
  const ratingSum = reviews * ((i % 5) + 1);
  const plugin: Imported = {
    plugin: {
      key,
      name,
      description,
      category,
      tags,
      homepage: null,
      repository: null,
      icon: null,
      author: `Publisher ${i % 250}`,
      license: 'MIT',
      ownerType: 'user',
      ownerId: `0000000000000000${String(i % 250).padStart(8, '0')}`,
      // One in thirteen is private to its owner: the visibility filter has real work to do.
      scope: i % 13 === 1 ? 'private' : 'public',
      status: 'approved',
      isBuiltin: false,
      isSample: false,
      source: 'store',
      createdBy: null,
    },
    rev: 1,
    derived: {
      status: 'approved',
      hasApproved: true,
      distTags: { latest: '1.0.0', next: null },
      displayVersion: '1.0.0',
      lastPublishedAt: at,
    },
    // The counters the API moves, so the orderings have something to sort.
    stats: { downloads: i % 10 === 0 ? i % 7 : 0, ratingSum, reviews, rating: averageOf(ratingSum, reviews) },
    at,
  };
  const version: Version = {
    input: {
      key,
      version: '1.0.0',
      versionKey: '1.0.0',
      prerelease: false,
      status: 'approved',
      manifest,
      files: [{ role: 'runner', path: 'runner.js', size: runner.length, sha256: sha256Hex(runner), content: runner }],
      artifact: { bytes, ...digestOf(bytes) },
      publishedBy: null,
      reviewedBy: null,
    },
    at,
  };
  return { plugin, version };
}

// In bulk, through the repositories' own imports: the documents a publish, an approval, reviews and downloads would
// store (same derived fields, audience and search trigrams), in batches of 500 instead of ~10 writes per plugin.
const started = Date.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < N; i += 500) {
  const batch = await Promise.all(Array.from({ length: Math.min(500, N - i) }, (_, k) => entry(i + k)));
  await plugins.importMany(batch.map((b) => b.plugin));
  await versions.insertMany(batch.map((b) => b.version));
}
const ops: Record<string, number> = {};
mongoose.set('debug', (collection: string, method: string) => {
  const name = `${collection}.${method}`;
  ops[name] = (ops[name] ?? 0) + 1;
});
const stats = createServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  const built = { hits: views.builtHits, misses: views.builtMisses };
  res.end(JSON.stringify({ ops, cache: plugins.catalogCacheStats(), built }));
});
await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
console.log(`STATS ${(stats.address() as { port: number }).port}`);
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(`SEEDED ${N} plugins in ${Date.now() - started} ms, ${(cpuMs / N).toFixed(2)} ms of CPU per plugin`);
console.log(`LISTENING ${port}`);
// Stopped by the bench with SIGTERM: exit normally, so a --cpu-prof profile is written.
process.once('SIGTERM', () => {
  stats.close();
  void app.close().finally(() => process.exit(0));
});
