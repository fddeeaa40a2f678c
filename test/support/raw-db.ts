import { createHash } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
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
 * A digest of every stored document (their BSON bytes as stored, collections by name, documents in `_id` order):
 * cheaper than a snapshot when a test compares before and after thousands of times (the contract fuzz). Equal
 * digests mean nothing was stored. `except` leaves out collections the app writes on its own time (telemetry and
 * the event log, flushed after the request that caused them has answered).
 */
export async function rawFingerprint(
  app: INestApplication,
  options: { except?: readonly string[] } = {},
): Promise<string> {
  const db = app.get<Connection>(getConnectionToken()).db;
  if (!db) throw new Error('the app has no open database connection');
  const skip = new Set(options.except ?? []);
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
