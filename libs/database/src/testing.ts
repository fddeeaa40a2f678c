/**
 * For repository specs: a real database to run repositories against, the embedded engine in memory by default
 * or the MongoDB at MONGODB_TEST_URI when it is set (so the same specs prove the repositories on a real server).
 * Import from '@app/database/testing.js' in `*.spec.ts` files only.
 *
 *   const db = useTestDatabase('users');
 *   let repo: UserRepository;
 *   beforeAll(async () => { repo = new UserRepository(await db.model(UserDoc.name, UserSchema)); });
 */
import { EmbeddedMongoServer } from '@app/embedded-mongo';
import mongoose, { type Connection, type Model, type Schema } from 'mongoose';
import { afterAll, beforeAll } from 'vitest';

export interface TestDatabase {
  readonly connection: Connection;
  /** The model on the test database, with its indexes built (unique indexes must exist before the test writes). */
  model<T>(name: string, schema: Schema<T>): Promise<Model<T>>;
}

export function useTestDatabase(name: string): TestDatabase {
  let server: EmbeddedMongoServer | undefined;
  let connection: Connection | undefined;
  const dbName = `plughub_test_${name.replace(/\W/g, '_')}_${process.pid}`;

  beforeAll(async () => {
    const uri = process.env.MONGODB_TEST_URI ?? (server = await EmbeddedMongoServer.start()).uri;
    connection = await mongoose.createConnection(uri, { dbName }).asPromise();
  });

  afterAll(async () => {
    await connection?.dropDatabase();
    await connection?.close();
    await server?.stop();
  });

  const open = (): Connection => {
    if (!connection) throw new Error('the test database is not open yet (use it inside a test or hook)');
    return connection;
  };

  return {
    get connection() {
      return open();
    },
    async model<T>(modelName: string, schema: Schema<T>): Promise<Model<T>> {
      const c = open();
      const model = (c.models[modelName] as Model<T> | undefined) ?? c.model<T>(modelName, schema);
      await model.init();
      return model;
    },
  };
}
