import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { BSON } from 'bson';
import type { Catalog, LogOp } from './catalog.js';
import type { Logger } from './server.js';
import { crc32c } from './wire.js';
import { DataDirLock } from './data-dir-lock.js';

export { DataDirLockedError } from './data-dir-lock.js';

/**
 * Durable storage for a data directory:
 *
 * - `journal-<gen>.log`: append-only records `[u32 length][u32 crc32c][BSON payload]`. A write is acknowledged
 *   only after its record is fsynced; writes arriving while an fsync runs are batched into the next one
 *   (group commit).
 * - `snapshot.bson`: the whole catalog in the same record format, headed by `{ snapshot: gen }`, meaning it
 *   contains every journal below `gen`. Written to a temp file, fsynced, then renamed into place.
 * - `mongod.lock`: names the owner; the lock itself is data-dir-lock.ts.
 *
 * Every file is created 0600 and a created directory 0700: the journal holds application data (password hashes).
 *
 * On open: load the snapshot, replay journals >= its gen in order, truncate a torn or corrupt tail.
 */

const RECORD_HEADER = 8;
const DESERIALIZE = { promoteValues: true, promoteLongs: true, promoteBuffers: false } as const;
const DOCS_PER_SNAPSHOT_RECORD = 1000;
const SNAPSHOT_RECORD_BYTES = 8 * 1024 * 1024;
const SNAPSHOT_FILE = 'snapshot.bson';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

export interface DurableStoreOptions {
  /** Compact (snapshot + new journal) once the journal grows past this many bytes. Default 64 MiB. */
  compactThresholdBytes?: number;
  /** Also compact on this period (and on close) when the journal holds at least 1 MiB. Default 10 min. */
  compactIntervalMs?: number;
}

const PERIODIC_COMPACT_MIN_BYTES = 1024 * 1024;

/** bson's scratch buffer (17 MB by default) bounds any single serialize call; grown on demand. */
let encoderBufferSize = 17 * 1024 * 1024;

export function encodeRecord(doc: object): Buffer {
  // Sized up front: a transaction's record may exceed the encoder's default 17 MB scratch buffer.
  const size = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
  if (size > encoderBufferSize) {
    encoderBufferSize = size + 1024;
    BSON.setInternalBufferSize(encoderBufferSize);
  }
  const out = Buffer.allocUnsafe(RECORD_HEADER + size);
  BSON.serializeWithBufferAndIndex(doc, out, { ignoreUndefined: true, index: RECORD_HEADER });
  const payload = out.subarray(RECORD_HEADER);
  out.writeUInt32LE(size, 0);
  out.writeUInt32LE(crc32c(payload), 4);
  return out;
}

/** Reads records until the first incomplete or corrupt one; `validBytes` is where the good prefix ends. */
export function readRecords(buf: Buffer): { records: Record<string, unknown>[]; validBytes: number; corrupt: boolean } {
  const records: Record<string, unknown>[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < RECORD_HEADER) return { records, validBytes: offset, corrupt: true };
    const length = buf.readUInt32LE(offset);
    const crc = buf.readUInt32LE(offset + 4);
    const start = offset + RECORD_HEADER;
    if (length < 5 || start + length > buf.length) return { records, validBytes: offset, corrupt: true };
    const payload = buf.subarray(start, start + length);
    if (crc32c(payload) !== crc) return { records, validBytes: offset, corrupt: true };
    try {
      records.push(BSON.deserialize(payload, DESERIALIZE));
    } catch {
      return { records, validBytes: offset, corrupt: true };
    }
    offset = start + length;
  }
  return { records, validBytes: offset, corrupt: false };
}

interface Pending {
  buf: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class DurableStore {
  private journal!: fsp.FileHandle;
  private gen = 1;
  private journalBytes = 0;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private compacting: Promise<void> | undefined;
  private compactQueue: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lock!: DataDirLock;
  private closing: Promise<void> | undefined;
  /** Counters for diagnostics and tests: how many appends were grouped into how many fsyncs. */
  readonly stats = { appends: 0, fsyncs: 0, compactions: 0 };

  private constructor(
    readonly dir: string,
    private readonly catalog: Catalog,
    private readonly logger: Logger | undefined,
    private readonly compactThreshold: number,
  ) {}

  static async open(
    dir: string,
    catalog: Catalog,
    logger?: Logger,
    options: DurableStoreOptions = {},
  ): Promise<DurableStore> {
    const abs = path.resolve(dir);
    await fsp.mkdir(abs, { recursive: true, mode: DIR_MODE });
    const lock = await DataDirLock.acquire(abs);
    const store = new DurableStore(abs, catalog, logger, options.compactThresholdBytes ?? 64 * 1024 * 1024);
    store.lock = lock;
    try {
      await store.load();
    } catch (err) {
      await lock.release();
      throw err;
    }
    store.timer = setInterval(
      () => {
        if (store.journalBytes >= Math.min(PERIODIC_COMPACT_MIN_BYTES, store.compactThreshold)) store.startCompaction();
      },
      options.compactIntervalMs ?? 10 * 60 * 1000,
    ).unref();
    return store;
  }

  private journalPath(gen: number): string {
    return path.join(this.dir, `journal-${String(gen).padStart(8, '0')}.log`);
  }

  private async journals(): Promise<number[]> {
    const names = await fsp.readdir(this.dir);
    return names
      .map((n) => /^journal-(\d+)\.log$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private async load(): Promise<void> {
    let snapshotGen = 0;
    const snapPath = path.join(this.dir, SNAPSHOT_FILE);
    if (existsSync(snapPath)) {
      const { records, corrupt } = readRecords(await fsp.readFile(snapPath));
      const head = records[0];
      if (corrupt || !head || typeof head.snapshot !== 'number') {
        throw new Error(`embedded-mongo: snapshot ${snapPath} is damaged; refusing to open (restore from backup)`);
      }
      snapshotGen = head.snapshot;
      for (const rec of records.slice(1)) this.applySnapshotRecord(rec);
    }
    const gens = (await this.journals()).filter((g) => g >= snapshotGen);
    let replayed = 0;
    for (const g of gens) {
      const file = this.journalPath(g);
      const buf = await fsp.readFile(file);
      const { records, validBytes, corrupt } = readRecords(buf);
      for (const rec of records) {
        try {
          this.catalog.replay(rec as unknown as LogOp);
        } catch (err) {
          this.logger?.warn('embedded-mongo: skipped a journal record that no longer applies', {
            error: (err as Error).message,
          });
        }
      }
      replayed += validBytes;
      if (corrupt) {
        this.logger?.warn('embedded-mongo: truncating torn or corrupt journal tail', {
          file,
          validBytes,
          discardedBytes: buf.length - validBytes,
        });
        await fsp.truncate(file, validBytes);
      }
    }
    // Journals older than the snapshot are leftovers of an interrupted compaction.
    for (const g of await this.journals()) if (g < snapshotGen) await fsp.rm(this.journalPath(g), { force: true });
    this.gen = gens.length ? gens[gens.length - 1] : Math.max(snapshotGen, 1);
    this.journal = await fsp.open(this.journalPath(this.gen), 'a', FILE_MODE);
    // Files written by versions that did not restrict them.
    for (const g of await this.journals()) await fsp.chmod(this.journalPath(g), FILE_MODE);
    if (existsSync(snapPath)) await fsp.chmod(snapPath, FILE_MODE);
    this.journalBytes = (await this.journal.stat()).size;
    await fsyncDir(this.dir);
    if (replayed > this.compactThreshold) await this.compact();
  }

  private applySnapshotRecord(rec: Record<string, unknown>): void {
    if (rec.op === 'docs') {
      const ns = String(rec.ns);
      const coll = this.catalog.get(ns) ?? this.catalog.create(ns);
      for (const doc of rec.docs as Record<string, unknown>[]) coll.insert(doc);
      return;
    }
    this.catalog.replay(rec as unknown as LogOp);
  }

  /** Appends operations; resolves once they are on disk. */
  append(ops: LogOp[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('embedded-mongo: store is closed'));
    const buf = ops.length === 1 ? encodeRecord(ops[0]) : Buffer.concat(ops.map((op) => encodeRecord(op)));
    const done = new Promise<void>((resolve, reject) => this.pending.push({ buf, resolve, reject }));
    this.stats.appends++;
    this.journalBytes += buf.length;
    this.kick();
    if (this.journalBytes > this.compactThreshold) this.startCompaction();
    return done;
  }

  private startCompaction(): void {
    if (this.compacting || this.closed) return;
    this.compacting = this.compact()
      .catch((err: Error) => this.logger?.error('embedded-mongo: compaction failed', { error: err.message }))
      .finally(() => (this.compacting = undefined));
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => (this.flushing = undefined));
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.journal.writev(batch.map((p) => p.buf));
        await this.journal.datasync();
        this.stats.fsyncs++;
        for (const p of batch) p.resolve();
      } catch (err) {
        this.failure = err as Error;
        this.logger?.error('embedded-mongo: journal write failed; refusing further writes', {
          error: this.failure.message,
        });
        for (const p of batch) p.reject(this.failure);
      }
    }
  }

  private async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Snapshot the catalog and start a fresh journal; then delete journals the snapshot covers. */
  compact(): Promise<void> {
    // One compaction at a time: a second one would share the temp file and the journal generation.
    const run = this.compactQueue.then(() => this.compactNow());
    this.compactQueue = run.catch(() => undefined);
    return run;
  }

  private async compactNow(): Promise<void> {
    const newGen = this.gen + 1;
    const next = await fsp.open(this.journalPath(newGen), 'a', FILE_MODE);
    await this.drain();
    // From here to the handle swap runs synchronously: the in-memory state is exactly what journals < newGen
    // hold, and every later append goes to the new journal.
    const records: Buffer[] = [encodeRecord({ snapshot: newGen })];
    for (const coll of this.catalog.all()) {
      records.push(encodeRecord({ op: 'cc', ns: coll.ns, options: coll.options, uuid: coll.uuid }));
      for (const index of coll.indexes.slice(1))
        records.push(encodeRecord({ op: 'ci', ns: coll.ns, spec: index.spec }));
      let batch: unknown[] = [];
      let batchBytes = 0;
      for (const doc of coll.docs.values()) {
        batch.push(doc);
        batchBytes += BSON.calculateObjectSize(doc);
        if (batch.length >= DOCS_PER_SNAPSHOT_RECORD || batchBytes >= SNAPSHOT_RECORD_BYTES) {
          records.push(encodeRecord({ op: 'docs', ns: coll.ns, docs: batch }));
          batch = [];
          batchBytes = 0;
        }
      }
      if (batch.length) records.push(encodeRecord({ op: 'docs', ns: coll.ns, docs: batch }));
    }
    const old = this.journal;
    const oldGen = this.gen;
    this.journal = next;
    this.gen = newGen;
    this.journalBytes = 0;
    await old.close();
    await fsyncDir(this.dir);
    const tmp = path.join(this.dir, `${SNAPSHOT_FILE}.tmp`);
    // A leftover temp file would keep its old mode; start from a new one.
    await fsp.rm(tmp, { force: true });
    const fh = await fsp.open(tmp, 'w', FILE_MODE);
    try {
      await fh.writev(records);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(this.dir, SNAPSHOT_FILE));
    await fsyncDir(this.dir);
    for (const g of await this.journals()) if (g <= oldGen) await fsp.rm(this.journalPath(g), { force: true });
    this.stats.compactions++;
    this.logger?.info('embedded-mongo: compacted', { gen: newGen });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.compacting) await this.compacting;
    await this.drain();
    // Leave a compact directory behind so the next open replays little.
    if (!this.failure && this.journalBytes >= Math.min(PERIODIC_COMPACT_MIN_BYTES, this.compactThreshold)) {
      await this.compact().catch((err: Error) =>
        this.logger?.warn('embedded-mongo: compaction on close failed', { error: err.message }),
      );
    }
    this.closed = true;
    await this.drain();
    await this.journal.sync();
    await this.journal.close();
    await this.lock.release();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}
