/**
 * The transport under messaging: request/reply addressed to an installation wherever it is hosted, and broadcast on
 * named channels to every node. Two adapters implement it with the same semantics: InProcessMessageBus (one node,
 * the default) and NatsMessageBus (several nodes sharing one NATS). See README.md in this folder.
 */

/** What crosses the bus: JSON. Payloads are encoded with JSON.stringify and arrive as fresh parsed copies. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * - `no_responder`: no node serves the installation (answered at once, never after the timeout);
 * - `timeout`: a node serves it but no answer came within `timeoutMs` (the handler may still run to its end);
 * - `disconnected`: this node is reconnecting to its server, so nothing was sent (NATS only);
 * - `closed`: this bus was closed (or closes while the call waits);
 * - `remote_error`: the handler threw; `message` is the handler's message verbatim, `remoteCode` its `code`;
 * - `payload_too_large`: the request or the answer encodes to more than `maxPayloadBytes`; nothing was sent;
 * - `invalid_argument`: not JSON (BigInt, cycles, functions), a bad installation id, channel or timeout, a
 *   second `serve` of one installation on one bus.
 */
export type BusErrorCode =
  'no_responder' | 'timeout' | 'disconnected' | 'closed' | 'remote_error' | 'payload_too_large' | 'invalid_argument';

export class BusError extends Error {
  override readonly name = 'BusError';
  /** For `remote_error`: the `code` property of what the handler threw, when it was a string. */
  readonly remoteCode?: string;

  constructor(
    readonly code: BusErrorCode,
    message: string,
    options: { remoteCode?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.remoteCode !== undefined) this.remoteCode = options.remoteCode;
  }
}

export interface RequestContext {
  installationId: string;
  /** The requester's timeout; an answer later than this is dropped, so the handler may bound its work by it. */
  timeoutMs: number;
}

/** Answers one request. Its return value (or resolution) is the answer; what it throws becomes `remote_error`. */
export type RequestHandler = (payload: JsonValue, context: RequestContext) => unknown;

/** Receives one broadcast. What it throws is reported to `onListenerError` and goes no further. */
export type BroadcastListener = (payload: JsonValue, context: { channel: string }) => void | Promise<void>;

export interface BusSubscription {
  /** Stops delivery to this listener; resolves once the server has it. Idempotent. */
  unsubscribe(): Promise<void>;
}

export type BusState = 'connected' | 'reconnecting' | 'closed';

export interface BusStatus {
  adapter: 'in-process' | 'nats';
  state: BusState;
  /** When `state` last changed. */
  since: Date;
  /** NATS: the server (host:port) the client talks to, or is trying to reach while reconnecting. */
  server?: string;
}

export interface MessageBus {
  /** The largest encoded payload (request, answer or broadcast), in bytes, this bus sends. */
  readonly maxPayloadBytes: number;

  /**
   * Answers requests for `installationId` from any node with `handler` until `unserve`. Resolves once requests can
   * reach it. When several nodes serve one installation (a lease changing hands), each request goes to one of them.
   */
  serve(installationId: string, handler: RequestHandler): Promise<void>;

  /** Stops answering for `installationId` (requests then get `no_responder`); running handlers still answer. */
  unserve(installationId: string): Promise<void>;

  /** Sends `payload` to the node serving `installationId` and resolves with the handler's answer. */
  request(installationId: string, payload: unknown, timeoutMs: number): Promise<JsonValue>;

  /**
   * Delivers `payload` to every listener of `channel` on every node, this one included, at most once. Resolves once
   * the server has it (not once listeners ran); a node that is disconnected at that moment misses it.
   */
  publish(channel: string, payload: unknown): Promise<void>;

  /** Listens on `channel`; resolves once publishes from any node reach the listener. */
  subscribe(channel: string, listener: BroadcastListener): Promise<BusSubscription>;

  status(): BusStatus;

  /**
   * Stops serving and listening, lets running handlers answer (bounded by the adapter's drain timeout), rejects
   * this node's waiting requests with `closed` and releases the connection. Idempotent.
   */
  close(): Promise<void>;
}

/** Default bound on one encoded payload: plugin messages are control traffic, not file transfer. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

/** Default time `close()` waits for running handlers before it lets go of their answers. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
