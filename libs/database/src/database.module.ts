import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import { JsonLogger } from '@app/common';
import { DataDirLockedError, EmbeddedMongoServer } from '@app/embedded-mongo';
import type { Connection } from 'mongoose';

export interface DatabaseOptions {
  /** Connect here when set; otherwise start the embedded engine. */
  uri: string | null;
  /** Embedded engine: durable data directory, or null to keep everything in memory. */
  dataDir: string | null;
  /**
   * Maintenance tools (`npm run admin`): when the data directory is in use by a running server, connect to that
   * server's engine (its address is in ENGINE_ADDRESS_FILE) instead of failing.
   */
  attachToRunning?: boolean;
}

/** The database the app's collections live in when the connection string names none (the driver would say `test`). */
export const DEFAULT_DATABASE_NAME = 'plughub';

/** Where a running server writes its embedded engine's loopback address, for maintenance tools (mode 0600). */
export const ENGINE_ADDRESS_FILE = 'engine-address';

/** The database of a connection string: its path (`mongodb://h/db?…` → `db`), else `plughub`. */
export function databaseName(uri: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(uri)?.[1];
  return path ? decodeURIComponent(path) : DEFAULT_DATABASE_NAME;
}

const EMBEDDED_SERVER = Symbol('EMBEDDED_SERVER');

interface EmbeddedHolder {
  server: EmbeddedMongoServer | null;
  addressFile: string | null;
}

/** Holds the embedded engine (when one was started) so it stops after Mongoose has disconnected. */
@Injectable()
class EmbeddedServerLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EMBEDDED_SERVER) private readonly holder: EmbeddedHolder,
    @Inject(getConnectionToken()) private readonly connection: Connection,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.holder.server) return;
    if (this.holder.addressFile) rmSync(this.holder.addressFile, { force: true });
    await this.connection.close();
    await this.holder.server.stop();
    this.holder.server = null;
  }
}

/** Starts the engine on the data directory, or (maintenance) joins the server that already holds it. */
async function embeddedUri(options: DatabaseOptions, holder: EmbeddedHolder, logger: JsonLogger): Promise<string> {
  // The engine's files are 0600; the directory around them is its owner's alone too.
  if (options.dataDir && !existsSync(options.dataDir)) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  try {
    holder.server = await EmbeddedMongoServer.start({ dataDir: options.dataDir, logger });
  } catch (err) {
    const file = options.dataDir ? join(options.dataDir, ENGINE_ADDRESS_FILE) : null;
    if (!(err instanceof DataDirLockedError) || !options.attachToRunning || !file || !existsSync(file)) throw err;
    const uri = readFileSync(file, 'utf8').trim();
    logger.log('The data directory is in use by a running server; using its engine', { uri });
    return uri;
  }
  if (options.dataDir && !options.attachToRunning) {
    holder.addressFile = join(options.dataDir, ENGINE_ADDRESS_FILE);
    writeFileSync(holder.addressFile, holder.server.uri + '\n', { mode: 0o600 });
  }
  return holder.server.uri;
}

/**
 * The one Mongo connection of the app. The code path above Mongoose is identical whether it points
 * at a MongoDB replica set or at the embedded engine.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    const holder: EmbeddedHolder = { server: null, addressFile: null };
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        MongooseModule.forRootAsync({
          inject: [JsonLogger],
          useFactory: async (root: JsonLogger) => {
            const logger = root.child('Database');
            if (options.uri) {
              const dbName = databaseName(options.uri);
              logger.log('Using MongoDB at MONGODB_URI', { uri: redactUri(options.uri), database: dbName });
              return { uri: options.uri, dbName };
            }
            const uri = await embeddedUri(options, holder, logger);
            logger.log('Using the embedded MongoDB-compatible engine', {
              uri,
              storage: options.dataDir ?? 'memory',
              database: DEFAULT_DATABASE_NAME,
            });
            return { uri, dbName: DEFAULT_DATABASE_NAME };
          },
        }),
      ],
      providers: [{ provide: EMBEDDED_SERVER, useValue: holder }, EmbeddedServerLifecycle],
      exports: [MongooseModule],
    };
  }
}

/** Hides the password of a connection string before it is logged. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
