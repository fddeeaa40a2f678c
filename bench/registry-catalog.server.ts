/**
 * The server side of bench/registry-catalog.bench.ts: boots the compiled app on an in-memory embedded engine,
 * seeds N published, approved plugins straight into the collections (the same documents the registry writes),
 * and prints `LISTENING <port>`. Run by the bench as a child process, so load generation never shares its
 * event loop.
 */
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

const N = Number(process.env.BENCH_PLUGINS ?? 10_000);
const dist = '../dist/apps/api/src';
const { loadConfig } = (await import(
  `${dist}/config/app-config.js`
)) as typeof import('../apps/api/src/config/app-config.js');
const { createApp } = (await import(`${dist}/create-app.js`)) as typeof import('../apps/api/src/create-app.js');
const { buildArtifact, digestOf, manifestBytes } = (await import(
  `${dist}/registry/artifact.js`
)) as typeof import('../apps/api/src/registry/artifact.js');

const config = loadConfig({ ...process.env, PLUGHUB_DB_MEMORY: 'true', PORT: '0', HOST: '127.0.0.1' });
const app = await createApp(config);
const connection = app.get<Connection>(getConnectionToken());

const CATEGORIES = ['iot', 'ai', 'data', 'security', 'devops', 'finance', 'media', 'crm', 'search', 'integrations'];
const WORDS = [
  'sensor',
  'weather',
  'invoice',
  'backup',
  'chat',
  'metrics',
  'upload',
  'queue',
  'mail',
  'cache',
  'video',
];
const started = Date.now();
const plugins = [];
const versions = [];
for (let i = 0; i < N; i++) {
  const word = WORDS[i % WORDS.length];
  const category = CATEGORIES[(i * 7) % CATEGORIES.length];
  const key = `pub${i % 250}.${word}-${i}`;
  const name = `${word[0].toUpperCase()}${word.slice(1)} tool ${i}`;
  const description = `Collects ${word} data and ships it to ${WORDS[(i * 3) % WORDS.length]} targets, number ${i}.`;
  const tags = [word, WORDS[(i * 5) % WORDS.length]];
  // One in thirteen is private to its owner: the visibility filter has real work to do.
  const scope = i % 13 === 1 ? 'private' : 'public';
  const now = new Date(started - (N - i) * 1000);
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
  const artifact = buildArtifact([
    { role: 'manifest', path: 'manifest.json', content: manifestBytes(manifest) },
    { role: 'runner', path: 'runner.js', content: runner },
  ]);
  const digest = digestOf(artifact);
  plugins.push({
    key,
    name,
    description,
    category,
    tags,
    author: `Publisher ${i % 250}`,
    author_lc: `publisher ${i % 250}`,
    license: 'MIT',
    homepage: null,
    repository: null,
    icon: null,
    owner_type: 'user',
    owner_id: `0000000000000000${String(i % 250).padStart(8, '0')}`,
    scope,
    verified: i % 13 === 0,
    killed: false,
    killed_reason: null,
    status: 'approved',
    has_approved: true,
    dist_tags: { latest: '1.0.0', next: null },
    display_version: '1.0.0',
    last_published_at: now,
    stats: { downloads: (i * 7919) % 10_000, rating: ((i % 41) / 10 + 1) | 0, reviews: i % 17, rating_sum: 0 },
    is_builtin: false,
    is_sample: false,
    source: 'store',
    mixins: i % 3 === 0 ? ['settings'] : [],
    dependencies: [],
    search_text: [key, name, description, ...tags].join('\n').toLowerCase(),
    rev: 1,
    computed_rev: 1,
    created_by: null,
    deleted_at: null,
    deleted_by: null,
    created_at: now,
    updated_at: now,
  });
  versions.push({
    plugin_key: key,
    version: '1.0.0',
    version_key: '1.0.0',
    prerelease: false,
    status: 'approved',
    manifest,
    files: [{ role: 'runner', path: 'runner.js', size: runner.length, sha256: 'x', content: runner }],
    artifact,
    size: digest.size,
    checksum: digest.checksum,
    integrity: digest.integrity,
    deprecated: null,
    yanked: false,
    yanked_at: null,
    downloads: 0,
    review_notes: null,
    reviewed_by: null,
    reviewed_at: now,
    submitted_at: now,
    published_by: null,
    published_at: now,
    created_at: now,
    updated_at: now,
  });
}
for (let i = 0; i < N; i += 1000) {
  await connection.collection('plugins').insertMany(plugins.slice(i, i + 1000));
  await connection.collection('plugin_versions').insertMany(versions.slice(i, i + 1000));
}
const seeded = await connection.collection('plugins').countDocuments({});
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };
console.log(`SEEDED ${seeded} plugins in ${Date.now() - started} ms`);
console.log(`ENGINE mongodb://${connection.host}:${connection.port}/${connection.name}`);
console.log(`LISTENING ${port}`);
