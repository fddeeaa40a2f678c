import net from 'node:net';
import type { Document } from 'bson';
import type { Engine } from './engine.js';
import { nextExhaustHello } from './commands/server-info.js';
import { ErrorCode, errorReply, MongoCommandError } from './errors.js';
import {
  encodeOpMsg,
  encodeOpReply,
  FLAG_EXHAUST_ALLOWED,
  FLAG_MORE_TO_COME,
  HEADER_SIZE,
  MAX_MESSAGE_SIZE_BYTES,
  parseMessage,
  WireError,
  type WireRequest,
} from './wire.js';

export interface Logger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
}

const LEGACY_HANDSHAKE = new Set(['hello', 'isMaster', 'ismaster']);

/** One client connection: frames messages, runs them one at a time, writes replies in order. */
class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Promise<void> = Promise.resolve();
  private closeSignal: () => void = () => undefined;
  readonly closed = new Promise<void>((resolve) => (this.closeSignal = resolve));
  appName?: string;

  constructor(
    readonly id: number,
    private readonly socket: net.Socket,
    private readonly engine: Engine,
    private readonly logger: Logger | undefined,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closeSignal());
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? '127.0.0.1'}:${this.socket.remotePort ?? 0}`;
  }

  destroy(): void {
    this.socket.destroy();
    this.closeSignal();
  }

  close(): void {
    this.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : this.flatten();
      const length = head.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE_BYTES) {
        // Framing is lost; mongod closes the connection in this case too.
        this.logger?.warn('embedded-mongo: closing connection after invalid message length', {
          length,
          connectionId: this.id,
        });
        this.destroy();
        return;
      }
      if (this.buffered < length) return;
      const all = this.flatten();
      const message = all.subarray(0, length);
      const rest = all.subarray(length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.queue = this.queue
        .then(() => this.handle(message))
        .catch((err: unknown) => {
          this.logger?.error('embedded-mongo: connection handler failed; closing it', {
            error: (err as Error).message,
          });
          this.destroy();
        });
    }
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private async handle(message: Buffer): Promise<void> {
    if (this.socket.destroyed) return;
    let request: WireRequest;
    try {
      request = parseMessage(message);
    } catch (err) {
      const e = err instanceof WireError ? err : new WireError(ErrorCode.ProtocolError, String(err), true);
      if (e.fatal) {
        this.logger?.warn('embedded-mongo: closing connection after protocol error', {
          error: e.message,
          connectionId: this.id,
        });
        this.destroy();
        return;
      }
      const requestId = message.readInt32LE(4);
      const opCode = message.readInt32LE(12);
      this.send(opCode === 2004 ? encodeOpReply(requestId, errorReply(e)) : encodeOpMsg(requestId, errorReply(e)));
      return;
    }
    try {
      if (request.kind === 'query') {
        const reply = await this.legacyQuery(request.fullCollectionName, request.query);
        this.send(encodeOpReply(request.requestId, reply));
        return;
      }
      const reply = await this.engine.run(request.command, this);
      if (request.flags & FLAG_MORE_TO_COME) return;
      if (request.flags & FLAG_EXHAUST_ALLOWED) await this.exhaust(request.requestId, request.command, reply);
      else this.send(encodeOpMsg(request.requestId, reply));
    } catch (err) {
      this.logger?.error('embedded-mongo: failed to answer a request', { error: (err as Error).message });
      if (request.kind === 'msg' && !(request.flags & FLAG_MORE_TO_COME)) {
        this.send(
          encodeOpMsg(
            request.requestId,
            errorReply(new MongoCommandError(ErrorCode.InternalError, (err as Error).message)),
          ),
        );
      }
    }
  }

  /**
   * Streams replies as mongod does for an exhaust-allowed awaitable hello: each reply carries `moreToCome` and answers
   * the previous reply (responseTo), and the next one is produced without a request, until the connection closes
   * or a reply ends the stream (an error, e.g. shutdown). Other commands get their single reply.
   */
  private async exhaust(requestId: number, command: Document, first: Document): Promise<void> {
    let responseTo = requestId;
    let reply = first;
    for (;;) {
      const next = nextExhaustHello(command, reply);
      const message = encodeOpMsg(responseTo, reply, next ? FLAG_MORE_TO_COME : 0);
      this.send(message);
      if (!next || this.socket.destroyed) return;
      responseTo = message.readInt32LE(4);
      command = next;
      reply = await this.engine.run(command, this);
      if (this.socket.destroyed) return;
    }
  }

  private async legacyQuery(ns: string, query: Document): Promise<Document> {
    const cmd = isWrapped(query) ? (query.$query as Document) : query;
    const name = Object.keys(cmd)[0] ?? '';
    if (!ns.endsWith('.$cmd') || !LEGACY_HANDSHAKE.has(name)) {
      return errorReply(
        new MongoCommandError(
          ErrorCode.UnsupportedOpQueryCommand,
          `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade.`,
        ),
      );
    }
    return this.engine.run({ ...cmd, $db: ns.slice(0, -'.$cmd'.length) }, this);
  }

  private send(buf: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(buf);
  }
}

function isWrapped(q: Document): boolean {
  return typeof q.$query === 'object' && q.$query !== null;
}

/** The TCP front end: accepts connections and hands messages to the engine. */
export class WireServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly engine: Engine,
    private readonly logger?: Logger,
  ) {
    this.server = net.createServer((socket) => {
      const conn = new Connection(this.nextId++, socket, this.engine, this.logger);
      this.connections.add(conn);
      this.engine.connections.current++;
      this.engine.connections.totalCreated++;
      socket.on('close', () => {
        if (this.connections.delete(conn)) this.engine.connections.current--;
      });
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const c of this.connections) c.destroy();
      this.connections.clear();
      this.engine.connections.current = 0;
      this.server.close(() => resolve());
    });
  }
}
