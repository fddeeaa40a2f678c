import { DurableStore } from './durable-store.js';
import { Engine } from './engine.js';
import { WireServer, type Logger } from './server.js';

export { DataDirLockedError } from './durable-store.js';

export interface EmbeddedMongoOptions {
  host?: string; // default '127.0.0.1'
  port?: number; // default 0 = random free port
  dataDir?: string | null; // null/undefined = in memory; a path = durable (created if missing)
  replSetName?: string; // default 'plughub'
  logger?: Logger;
  /** How often expired TTL documents are removed (MongoDB: 60 s). Tests lower it. */
  ttlMonitorIntervalMs?: number;
  /** Idle cursors are closed after this long (MongoDB: 10 min). */
  cursorTimeoutMs?: number;
  /** Durable mode: snapshot and start a new journal once the journal exceeds this size (default 64 MiB). */
  compactThresholdBytes?: number;
  /**
   * mongod's `enableTestCommands` (off by default, never for the app): adds `configureFailPoint` with the
   * `failCommand` fail point, which the driver specifications' tests use.
   */
  enableTestCommands?: boolean;
}

/** A MongoDB-wire-compatible server presenting itself as a one-member replica set. */
export class EmbeddedMongoServer {
  readonly uri: string;
  readonly port: number;
  readonly host: string;
  private stopped = false;

  private constructor(
    private readonly engine: Engine,
    private readonly wire: WireServer,
    private readonly store: DurableStore | undefined,
    host: string,
    port: number,
    replSetName: string,
  ) {
    this.host = host;
    this.port = port;
    this.uri = `mongodb://${host}:${port}/?replicaSet=${encodeURIComponent(replSetName)}`;
  }

  static async start(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongoServer> {
    const host = options.host ?? '127.0.0.1';
    const replSetName = options.replSetName ?? 'plughub';
    const engine = new Engine({
      host,
      port: options.port ?? 0,
      replSetName,
      ttlMonitorIntervalMs: options.ttlMonitorIntervalMs,
      cursorTimeoutMs: options.cursorTimeoutMs,
      logger: options.logger,
      enableTestCommands: options.enableTestCommands,
    });
    let store: DurableStore | undefined;
    if (options.dataDir) {
      try {
        store = await DurableStore.open(options.dataDir, engine.catalog, options.logger, {
          compactThresholdBytes: options.compactThresholdBytes,
        });
      } catch (err) {
        engine.stop();
        throw err;
      }
      engine.options.persistence = store;
    }
    const wire = new WireServer(engine, options.logger);
    let port: number;
    try {
      port = await wire.listen(host, options.port ?? 0);
    } catch (err) {
      engine.stop();
      await store?.close();
      throw err;
    }
    engine.options.port = port;
    options.logger?.info('embedded-mongo: listening', { host, port, dataDir: options.dataDir ?? null });
    return new EmbeddedMongoServer(engine, wire, store, host, port, replSetName);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.engine.stop();
    // One turn of the event loop: awaitable hellos answer ShutdownInProgress before their connections close.
    await new Promise((resolve) => setImmediate(resolve));
    await this.wire.close();
    await this.store?.close();
  }
}
