import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';

/**
 * A fresh database for one driver-level suite: a client connects to `uri()` before the suite's tests and hands
 * itself and the database to `ready`; after them the database is dropped and the client closed. Returns the
 * database name (unique per process and start time, so suites against one real server never share data).
 */
export function connectSuiteDb(
  uri: () => string,
  prefix: string,
  ready: (client: MongoClient, db: Db) => void,
): string {
  const dbName = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  let client: MongoClient | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    client = new MongoClient(uri(), { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db(dbName);
    ready(client, db);
  });
  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
  });
  return dbName;
}
