import { createHash } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { MongoClient } from 'mongodb';
import type { Connection } from 'mongoose';

/**
 * The one place tests may read stored documents as they are on disk, for what only raw documents show: that a
 * secret is not stored in clear, that a refused request stored nothing, that a crash left no half-written state.
 * Everything else goes through the API. Read-only on purpose, but for rawUpdateMany (stored junk); the lint rule
 * that keeps Mongo in persistence/ exempts this file alone.
 */
export async function rawDocuments(
  app: INestApplication,
  collection: string,
  filter: Record<string, unknown> = {},
): Promise<Array<Record<string, unknown>>> {
  const db = app.get<Connection>(getConnectionToken()).db;
  if (!db) throw new Error('the app has no open database connection');
  return db.collection(collection).find(filter).toArray();
}

/** Every collection's documents, for before/after comparisons ("nothing was stored"). */
export async function rawSnapshot(app: INestApplication): Promise<Record<string, Array<Record<string, unknown>>>> {
  const db = app.get<Connection>(getConnectionToken()).db;
  if (!db) throw new Error('the app has no open database connection');
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  const snapshot: Record<string, Array<Record<string, unknown>>> = {};
  for (const name of names) snapshot[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
  return snapshot;
}

/** The name of the database the app's connection uses. */
export function databaseNameOf(app: INestApplication): string {
  const db = app.get<Connection>(getConnectionToken()).db;
  if (!db) throw new Error('the app has no open database connection');
  return db.databaseName;
}

/**
 * Writes stored documents behind the app's back, to stand for data an older version or a hand edit left (a null
 * where the schema says boolean). Only for tests of how the app reads such data; everything else goes through the API.
 */
export async function rawUpdateMany(
  app: INestApplication,
  collection: string,
  filter: Record<string, unknown>,
  set: Record<string, unknown>,
): Promise<number> {
  const db = app.get<Connection>(getConnectionToken()).db;
  if (!db) throw new Error('the app has no open database connection');
  return (await db.collection(collection).updateMany(filter, { $set: set })).modifiedCount;
}

/**
 * Collections the app writes on its own time, after the request that caused them has answered (buffered metrics
 * and logs, the start-up backfills' marks, the event log and its deliveries, the audit log): a write there may land during a later request, so
 * they say nothing about what that request stored. A refused request is audited too, by design.
 */
export const WRITTEN_AFTER_REPLY: readonly string[] = [
  'plugin_logs',
  'plugin_metric_buckets',
  'plugin_metric_hours',
  'plugin_metric_days',
  'plugin_metric_day_levels',
  'plugin_metric_backfills',
  'events',
  'event_sequences',
  'event_deliveries',
  'audit_entries',
  'audit_anchor',
  // moved by the registry when an earlier request's installation.changed event is handled, after its reply
  'registry_epochs',
];

/**
 * A digest of every stored document (their BSON bytes as stored, collections by name, documents in `_id` order):
 * cheaper than a snapshot when a test compares before and after thousands of times (the contract fuzz). Equal
 * digests mean nothing was stored. `except` leaves out collections, by default those written after the reply.
 */
export async function rawFingerprint(
  app: INestApplication,
  options: { except?: readonly string[] } = {},
): Promise<string> {
  const db = app.get<Connection>(getConnectionToken()).db;
  if (!db) throw new Error('the app has no open database connection');
  const skip = new Set(options.except ?? WRITTEN_AFTER_REPLY);
  const names = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((name) => !skip.has(name))
    .sort();
  const contents = await Promise.all(
    names.map(
      (name) => db.collection(name).find({}, { raw: true }).sort({ _id: 1 }).toArray() as unknown as Promise<Buffer[]>,
    ),
  );
  const hash = createHash('sha256');
  names.forEach((name, i) => {
    hash.update(`\u0000${name}\u0000`);
    for (const bytes of contents[i]) hash.update(bytes);
  });
  return hash.digest('hex');
}

/**
 * The documents of `collection` in the database of `uri` (its path names the database), read from outside the
 * server using it: for crash tests, whose server is another process.
 */
export async function rawDocumentsAt(
  uri: string,
  collection: string,
  filter: Record<string, unknown> = {},
): Promise<Array<Record<string, unknown>>> {
  const client = await MongoClient.connect(uri);
  try {
    return await client.db().collection(collection).find(filter).toArray();
  } finally {
    await client.close();
  }
}
