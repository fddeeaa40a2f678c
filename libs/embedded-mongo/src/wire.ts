import { BSON, type Document } from 'bson';
import { ErrorCode, MongoCommandError } from './errors.js';

/** Wire protocol framing: OP_MSG requests/replies, and the legacy OP_QUERY handshake answered with OP_REPLY. */

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
/** Command documents may exceed the user document limit by this headroom (as in MongoDB). */
export const BSON_COMMAND_HEADROOM = 16 * 1024;

export const FLAG_CHECKSUM_PRESENT = 1 << 0;
export const FLAG_MORE_TO_COME = 1 << 1;
export const FLAG_EXHAUST_ALLOWED = 1 << 16;
/** Bits 0–15 are "required": a receiver must reject flags it does not know in that range. */
const KNOWN_REQUIRED_FLAGS = FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME;

export const HEADER_SIZE = 16;

export interface MsgRequest {
  kind: 'msg';
  requestId: number;
  flags: number;
  command: Document;
}

export interface QueryRequest {
  kind: 'query';
  requestId: number;
  fullCollectionName: string;
  query: Document;
}

export type WireRequest = MsgRequest | QueryRequest;

/**
 * A problem with a message. `fatal` means framing can no longer be trusted and the connection must close
 * (MongoDB does the same); otherwise the error is returned as a normal command error reply.
 */
export class WireError extends MongoCommandError {
  constructor(
    code: number,
    message: string,
    readonly fatal: boolean,
    readonly requestId = 0,
    readonly opCode = OP_MSG,
  ) {
    super(code, message);
  }
}

const DESERIALIZE_OPTIONS = { promoteValues: true, promoteLongs: true, promoteBuffers: false } as const;

function deserializeDocument(
  buf: Buffer,
  offset: number,
  end: number,
  requestId: number,
  opCode: number,
): [Document, number] {
  if (end - offset < 5) throw new WireError(ErrorCode.InvalidBSON, 'BSON document truncated', false, requestId, opCode);
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > end) {
    throw new WireError(
      ErrorCode.InvalidBSON,
      `BSON document length ${size} exceeds message bounds`,
      false,
      requestId,
      opCode,
    );
  }
  if (size > MAX_BSON_OBJECT_SIZE + BSON_COMMAND_HEADROOM) {
    throw new WireError(ErrorCode.BSONObjectTooLarge, `BSONObj size: ${size} is invalid`, false, requestId, opCode);
  }
  try {
    return [BSON.deserialize(buf.subarray(offset, offset + size), DESERIALIZE_OPTIONS), offset + size];
  } catch (err) {
    throw new WireError(ErrorCode.InvalidBSON, `invalid BSON: ${(err as Error).message}`, false, requestId, opCode);
  }
}

function readCString(buf: Buffer, offset: number, end: number, requestId: number): [string, number] {
  const zero = buf.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new WireError(ErrorCode.InvalidBSON, 'unterminated C string', false, requestId);
  return [buf.toString('utf8', offset, zero), zero + 1];
}

/** Parses one complete message (header included). Throws WireError on malformed input. */
export function parseMessage(msg: Buffer): WireRequest {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(msg, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(msg, requestId);
  if (opCode === OP_COMPRESSED) {
    throw new WireError(ErrorCode.ProtocolError, 'compression was not negotiated', true, requestId);
  }
  throw new WireError(ErrorCode.ProtocolError, `unsupported opCode ${opCode}`, true, requestId);
}

function parseOpMsg(msg: Buffer, requestId: number): MsgRequest {
  if (msg.length < HEADER_SIZE + 5) throw new WireError(ErrorCode.ProtocolError, 'OP_MSG too short', true, requestId);
  const flags = msg.readUInt32LE(HEADER_SIZE);
  if ((flags & 0xffff & ~KNOWN_REQUIRED_FLAGS) !== 0) {
    throw new WireError(
      ErrorCode.ProtocolError,
      `unsupported OP_MSG flag bits 0x${flags.toString(16)}`,
      false,
      requestId,
    );
  }
  let end = msg.length;
  if (flags & FLAG_CHECKSUM_PRESENT) {
    end -= 4;
    if (end < HEADER_SIZE + 5)
      throw new WireError(ErrorCode.ProtocolError, 'OP_MSG too short for checksum', true, requestId);
    const expected = msg.readUInt32LE(end);
    if (crc32c(msg.subarray(0, end)) !== expected) {
      throw new WireError(ErrorCode.ChecksumMismatch, 'OP_MSG checksum does not match contents', false, requestId);
    }
  }
  let offset = HEADER_SIZE + 4;
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  while (offset < end) {
    const kind = msg[offset++];
    if (kind === 0) {
      if (body) throw new WireError(ErrorCode.FailedToParse, 'OP_MSG has more than one body section', false, requestId);
      [body, offset] = deserializeDocument(msg, offset, end, requestId, OP_MSG);
    } else if (kind === 1) {
      if (end - offset < 4)
        throw new WireError(ErrorCode.FailedToParse, 'document sequence truncated', false, requestId);
      const size = msg.readInt32LE(offset);
      const seqEnd = offset + size;
      if (size < 5 || seqEnd > end) {
        throw new WireError(ErrorCode.FailedToParse, 'document sequence exceeds message bounds', false, requestId);
      }
      let id: string;
      [id, offset] = readCString(msg, offset + 4, seqEnd, requestId);
      const docs: Document[] = [];
      while (offset < seqEnd) {
        let doc: Document;
        [doc, offset] = deserializeDocument(msg, offset, seqEnd, requestId, OP_MSG);
        docs.push(doc);
      }
      sequences.push([id, docs]);
    } else {
      throw new WireError(ErrorCode.FailedToParse, `unknown OP_MSG section kind ${kind}`, false, requestId);
    }
  }
  if (!body) throw new WireError(ErrorCode.FailedToParse, 'OP_MSG has no body section', false, requestId);
  for (const [id, docs] of sequences) {
    if (id in body) throw new WireError(ErrorCode.FailedToParse, `duplicate field ${id} in OP_MSG`, false, requestId);
    body[id] = docs;
  }
  return { kind: 'msg', requestId, flags, command: body };
}

function parseOpQuery(msg: Buffer, requestId: number): QueryRequest {
  const [ns, afterName] = readCString(msg, HEADER_SIZE + 4, msg.length, requestId);
  // numberToSkip and numberToReturn (8 bytes) are irrelevant for commands.
  const [query] = deserializeDocument(msg, afterName + 8, msg.length, requestId, OP_QUERY);
  return { kind: 'query', requestId, fullCollectionName: ns, query };
}

let nextReplyId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextReplyId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function encodeOpMsg(responseTo: number, doc: Document, flags = 0): Buffer {
  const body = BSON.serialize(doc, { ignoreUndefined: true });
  const prefix = Buffer.allocUnsafe(5);
  prefix.writeUInt32LE(flags, 0);
  prefix[4] = 0;
  return Buffer.concat([header(HEADER_SIZE + 5 + body.length, responseTo, OP_MSG), prefix, body]);
}

export function encodeOpReply(responseTo: number, doc: Document): Buffer {
  const body = BSON.serialize(doc, { ignoreUndefined: true });
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(8, 0); // responseFlags: AwaitCapable
  // cursorId (int64) 0, startingFrom 0
  fields.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([header(HEADER_SIZE + 20 + body.length, responseTo, OP_REPLY), fields, body]);
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli), as used by the OP_MSG checksum; also guards durable log records. */
export function crc32c(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
