import net from 'node:net';
import { BSON, type Document } from 'bson';
import { expect } from 'vitest';

/**
 * Raw-socket test support: hand-built wire messages and a connection that collects the frames coming back.
 * Encoded here, independently of the engine's wire.ts, so tests check the engine against the protocol.
 */

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

export interface Frame {
  requestId: number;
  responseTo: number;
  opCode: number;
  flags: number;
  doc: Document;
}

let nextId = 1000;

/** A request id no other message of this process used. */
export function newRequestId(): number {
  return nextId++;
}

export function header(length: number, opCode: number, requestId: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function opMsg(
  doc: Document | Buffer,
  opts: { flags?: number; sequences?: [string, Document[]][]; requestId?: number } = {},
): Buffer {
  const body = Buffer.isBuffer(doc) ? doc : Buffer.from(BSON.serialize(doc));
  const parts: Buffer[] = [Buffer.from([0]), body];
  for (const [id, docs] of opts.sequences ?? []) {
    const payload = Buffer.concat([Buffer.from(id + '\0'), ...docs.map((d) => Buffer.from(BSON.serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4);
    parts.push(Buffer.from([1]), size, payload);
  }
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(opts.flags ?? 0);
  const rest = Buffer.concat([flags, ...parts]);
  return Buffer.concat([header(16 + rest.length, OP_MSG, opts.requestId ?? newRequestId()), rest]);
}

export function opQuery(ns: string, query: Document): Buffer {
  const rest = Buffer.concat([
    Buffer.alloc(4),
    Buffer.from(ns + '\0'),
    Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    Buffer.from(BSON.serialize(query)),
  ]);
  return Buffer.concat([header(16 + rest.length, OP_QUERY, newRequestId()), rest]);
}

/** CRC-32C written independently of the engine's implementation (bitwise, no table). */
export function crc32c(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function withChecksum(msg: Buffer, corrupt = false): Buffer {
  const out = Buffer.concat([msg, Buffer.alloc(4)]);
  out.writeInt32LE(out.length, 0);
  out.writeUInt32LE(out.readUInt32LE(16) | 1, 16);
  out.writeUInt32LE((crc32c(out.subarray(0, out.length - 4)) ^ (corrupt ? 1 : 0)) >>> 0, out.length - 4);
  return out;
}

export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  readonly frames: Frame[] = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readInt32LE(0)) {
        const len = this.buf.readInt32LE(0);
        this.frames.push(parseFrame(this.buf.subarray(0, len)));
        this.buf = this.buf.subarray(len);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  async next(timeoutMs = 2000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('timed out waiting for a reply');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.frames.shift()!;
  }

  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  async command(doc: Document): Promise<Document> {
    const requestId = newRequestId();
    this.send(opMsg(doc, { requestId }));
    const f = await this.next();
    expect(f.responseTo).toBe(requestId);
    return f.doc;
  }
}

export function parseFrame(buf: Buffer): Frame {
  const opCode = buf.readInt32LE(12);
  const base = { requestId: buf.readInt32LE(4), responseTo: buf.readInt32LE(8), opCode };
  if (opCode === OP_MSG) {
    expect(buf[20]).toBe(0);
    return { ...base, flags: buf.readUInt32LE(16), doc: BSON.deserialize(buf.subarray(21)) };
  }
  if (opCode === OP_REPLY) {
    expect(buf.readInt32LE(32)).toBe(1); // numberReturned
    return { ...base, flags: buf.readInt32LE(16), doc: BSON.deserialize(buf.subarray(36)) };
  }
  throw new Error(`unexpected opCode ${opCode}`);
}
