import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import { JsonLogger } from '@app/common';
import { EmbeddedMongoServer } from '@app/embedded-mongo';
import type { Connection } from 'mongoose';

export interface DatabaseOptions {
  /** Connect here when set; otherwise start the embedded engine. */
  uri: string | null;
  /** Embedded engine: durable data directory, or null to keep everything in memory. */
  dataDir: string | null;
}

const EMBEDDED_SERVER = Symbol('EMBEDDED_SERVER');

/** Holds the embedded engine (when one was started) so it stops after Mongoose has disconnected. */
@Injectable()
class EmbeddedServerLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EMBEDDED_SERVER) private readonly holder: { server: EmbeddedMongoServer | null },
    @Inject(getConnectionToken()) private readonly connection: Connection,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.holder.server) return;
    await this.connection.close();
    await this.holder.server.stop();
    this.holder.server = null;
  }
}

/**
 * The one Mongo connection of the app. The code path above Mongoose is identical whether it points
 * at a MongoDB replica set or at the embedded engine.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    const holder: { server: EmbeddedMongoServer | null } = { server: null };
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        MongooseModule.forRootAsync({
          inject: [JsonLogger],
          useFactory: async (root: JsonLogger) => {
            const logger = root.child('Database');
            if (options.uri) {
              logger.log('Using MongoDB at MONGODB_URI', { uri: redactUri(options.uri) });
              return { uri: options.uri };
            }
            holder.server = await EmbeddedMongoServer.start({ dataDir: options.dataDir, logger });
            logger.log('Using the embedded MongoDB-compatible engine', {
              uri: holder.server.uri,
              storage: options.dataDir ?? 'memory',
            });
            return { uri: holder.server.uri };
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
