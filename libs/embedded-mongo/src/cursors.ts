import { BSON, Long } from 'bson';
import { belowZero, ErrorCode, MongoCommandError } from './errors.js';
import { isPlainObject, type Doc } from './paths.js';
import { MAX_BSON_OBJECT_SIZE } from './wire.js';

/** Open cursors: a materialised result list and a read position, handed out in batches by getMore. */

interface CursorState {
  id: number;
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
  sessionKey?: string;
}

const DEFAULT_BATCH = 101;
const BATCH_BYTES = MAX_BSON_OBJECT_SIZE;
export const CURSOR_TIMEOUT_MS = 10 * 60 * 1000;

export class CursorRegistry {
  private readonly open = new Map<number, CursorState>();
  private nextId = 1 + Math.floor(Math.random() * 1_000_000);

  get size(): number {
    return this.open.size;
  }

  /** The `{cursor: {firstBatch, id, ns}}` reply; keeps a cursor open when documents remain. */
  reply(ns: string, docs: Doc[], cursorOpt: unknown, singleBatch = false, sessionKey?: string): Doc {
    const batchSize =
      isPlainObject(cursorOpt) && cursorOpt.batchSize !== undefined ? Number(cursorOpt.batchSize) : undefined;
    if (batchSize !== undefined && Number.isNaN(batchSize))
      throw new MongoCommandError(ErrorCode.TypeMismatch, "BSON field 'batchSize' must be a number");
    if (batchSize !== undefined && batchSize < 0) throw belowZero('batchSize', batchSize);
    const state: CursorState = { id: 0, ns, docs, pos: 0, lastUsed: Date.now(), sessionKey };
    const firstBatch = takeBatch(state, batchSize ?? DEFAULT_BATCH);
    let id = 0;
    if (state.pos < docs.length && !singleBatch) {
      id = this.nextId++;
      state.id = id;
      this.open.set(id, state);
    }
    return { cursor: { firstBatch, id: Long.fromNumber(id), ns }, ok: 1 };
  }

  getMore(db: string, cmd: Doc): Doc {
    const id = Number(cmd.getMore);
    if (!Number.isFinite(id))
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        "BSON field 'getMore.getMore' is the wrong type, expected type 'long'",
      );
    const collection = cmd.collection;
    if (typeof collection !== 'string' || collection.length === 0) {
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        "BSON field 'getMore.collection' is missing but a required field",
      );
    }
    const state = this.open.get(id);
    if (!state) throw new MongoCommandError(ErrorCode.CursorNotFound, `cursor id ${id} not found`);
    if (state.ns !== `${db}.${collection}`) {
      throw new MongoCommandError(
        ErrorCode.Unauthorized,
        `Requested getMore on namespace '${db}.${collection}', but cursor belongs to a different namespace ${state.ns}`,
      );
    }
    const batchSize = cmd.batchSize === undefined ? 0 : Number(cmd.batchSize);
    if (batchSize < 0) throw belowZero('batchSize', batchSize);
    const nextBatch = takeBatch(state, batchSize > 0 ? batchSize : Infinity);
    state.lastUsed = Date.now();
    let outId = id;
    if (state.pos >= state.docs.length) {
      this.open.delete(id);
      outId = 0;
    }
    return { cursor: { nextBatch, id: Long.fromNumber(outId), ns: state.ns }, ok: 1 };
  }

  killCursors(cmd: Doc): Doc {
    const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = Number(raw);
      if (this.open.delete(id)) killed.push(Long.fromNumber(id));
      else notFound.push(Long.fromNumber(id));
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  /** Closes the cursors of a dropped namespace, an ended session, or idle longer than `timeoutMs`. */
  closeWhere(pred: (ns: string, sessionKey: string | undefined, lastUsed: number) => boolean): void {
    for (const [id, c] of this.open) if (pred(c.ns, c.sessionKey, c.lastUsed)) this.open.delete(id);
  }
}

function takeBatch(state: CursorState, max: number): Doc[] {
  const out: Doc[] = [];
  let bytes = 0;
  while (state.pos < state.docs.length && out.length < max) {
    const doc = state.docs[state.pos];
    // A batch holds at least one document and stops before exceeding 16 MB, as in mongod.
    bytes += BSON.calculateObjectSize(doc);
    if (bytes > BATCH_BYTES && out.length > 0) break;
    out.push(doc);
    state.pos++;
  }
  return out;
}
