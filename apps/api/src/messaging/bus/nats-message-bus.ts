import {
  connect,
  DebugEvents,
  ErrorCode,
  Events,
  headers,
  type Msg,
  NatsError,
  type NatsConnection,
  type Status,
  type Subscription,
} from 'nats';
import { BusAdapter, type BusAdapterOptions, type BusSettings, busSettings } from './bus-adapter.js';
import { decodePayload, encodePayload, errorFromAnswer } from './bus-payload.js';
import { checkTimeout } from './bus-subjects.js';
import { type Answer, answerRequest, deliverBroadcast, within } from './bus-serving.js';
import {
  type BroadcastListener,
  BusError,
  type BusErrorCode,
  type BusStatus,
  type BusSubscription,
  type JsonValue,
  type MessageBus,
  type RequestHandler,
} from './message-bus.js';

/** Request header: the requester's timeout, handed to the handler as `context.timeoutMs`. */
const TIMEOUT_HEADER = 'Plughub-Timeout-Ms';
/** Answer header: present when the body is an ErrorAnswer rather than the handler's answer. */
const ERROR_HEADER = 'Plughub-Error';
/** Every node serving an installation joins this queue group, so a request runs on one of them only. */
const SERVE_QUEUE = 'hosts';
/** Room for the headers above next to a payload of maxPayloadBytes, within the server's max_payload. */
const HEADER_ROOM = 1024;
/**
 * A server that vanishes without closing the socket (a partition, a dead host) is noticed after this many pings
 * unanswered at this interval. The client's default (two minutes) is too slow for readiness.
 */
const PING_INTERVAL_MS = 10_000;
const MAX_PINGS_OUT = 2;

/** The client's failures that mean something to a caller; every other one is the transport failing. */
const FROM_NATS = new Map<string, BusErrorCode>([
  [ErrorCode.NoResponders, 'no_responder'],
  [ErrorCode.Timeout, 'timeout'],
  [ErrorCode.MaxPayloadExceeded, 'payload_too_large'],
  [ErrorCode.ConnectionClosed, 'closed'],
  [ErrorCode.ConnectionDraining, 'closed'],
]);

export interface NatsMessageBusOptions extends BusAdapterOptions {
  /** `nats://host:port`, or several of one cluster. */
  servers: string | string[];
  /** Shown for this connection in the server's monitoring (e.g. `plughub-api@host:pid`). */
  name?: string;
  /** Pause between reconnect attempts (the client retries forever). Default 1000 ms. */
  reconnectTimeWaitMs?: number;
  /** How long the first connection may take before connect() gives up. Default 5000 ms. */
  connectTimeoutMs?: number;
}

/**
 * The bus over core NATS: a request is a NATS request on the installation's subject, answered by a queue
 * subscription of the node(s) serving it; a broadcast is a plain publish. No JetStream: nothing here is stored.
 */
export class NatsMessageBus extends BusAdapter<Subscription> implements MessageBus {
  private readonly listening = new Set<Subscription>();
  /** Whether the socket is up, followed also while closing (when `state` already says `closed`). */
  private linkUp = true;

  private constructor(
    private readonly nc: NatsConnection,
    settings: BusSettings,
  ) {
    super(settings);
    this.followStatus();
  }

  /** Connects to NATS; fails with `disconnected` when no server answers within `connectTimeoutMs`. */
  static async connect(options: NatsMessageBusOptions): Promise<NatsMessageBus> {
    const settings = busSettings(options);
    const { subjects, maxPayloadBytes } = settings;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: options.servers,
        name: options.name,
        inboxPrefix: subjects.inboxPrefix,
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectTimeWaitMs ?? 1000,
        timeout: options.connectTimeoutMs ?? 5000,
        pingInterval: PING_INTERVAL_MS,
        maxPingOut: MAX_PINGS_OUT,
      });
    } catch (cause) {
      throw new BusError('disconnected', `Could not connect to NATS at ${String(options.servers)}.`, { cause });
    }
    const serverMax = nc.info?.max_payload;
    if (serverMax !== undefined && maxPayloadBytes + HEADER_ROOM > serverMax) {
      await nc.close();
      throw new BusError(
        'invalid_argument',
        `maxPayloadBytes (${maxPayloadBytes}) needs ${HEADER_ROOM} bytes less than the server's max_payload (${serverMax}).`,
      );
    }
    return new NatsMessageBus(nc, settings);
  }

  async serve(installationId: string, handler: RequestHandler): Promise<void> {
    const subject = this.subjectToServe(installationId);
    const subscription = this.nc.subscribe(subject, {
      queue: SERVE_QUEUE,
      callback: (error, msg) => {
        if (!error) this.answer(installationId, handler, msg);
      },
    });
    this.served.set(installationId, subscription);
    await this.reachServer();
  }

  async unserve(installationId: string): Promise<void> {
    this.subjects.installation(installationId); // refuses a bad id, as serve does
    const subscription = this.served.get(installationId);
    if (!subscription) return;
    this.served.delete(installationId);
    if (!this.linkUp) {
      // No server to drain through: the client forgets the subscription and does not send it again on reconnect.
      subscription.unsubscribe();
      return;
    }
    // Drained, not just unsubscribed: a request the server routed here before it had the UNSUB is still answered
    // (the handler says it no longer runs the installation) instead of being dropped to wait out its timeout.
    let drained = false;
    await within(
      subscription.drain().then(() => (drained = true)),
      this.drainTimeoutMs,
    );
    if (!drained) subscription.unsubscribe();
  }

  async request(installationId: string, payload: unknown, timeoutMs: number): Promise<JsonValue> {
    this.assertOpen();
    const subject = this.subjects.installation(installationId);
    const timeout = checkTimeout(timeoutMs);
    const bytes = encodePayload(payload, this.maxPayloadBytes, 'request');
    this.assertConnected();
    const h = headers();
    h.set(TIMEOUT_HEADER, String(timeout));
    let reply: Msg;
    try {
      reply = await this.untilClosed(this.nc.request(subject, bytes, { timeout, headers: h }));
    } catch (error) {
      throw this.translate(error, `installation ${installationId}`, timeout);
    }
    if (reply.headers?.has(ERROR_HEADER)) {
      let answer: unknown;
      try {
        answer = decodePayload(reply.data, 'error answer');
      } catch {
        answer = undefined;
      }
      throw errorFromAnswer(answer);
    }
    return decodePayload(reply.data, 'answer');
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    this.assertOpen();
    const subject = this.subjects.broadcast(channel);
    const bytes = encodePayload(payload, this.maxPayloadBytes, 'broadcast');
    this.assertConnected();
    try {
      this.nc.publish(subject, bytes);
      // The flush's PONG comes after the server has routed the message: "the server has it" is then true.
      await this.untilClosed(this.nc.flush());
    } catch (error) {
      throw this.translate(error, `channel ${channel}`);
    }
  }

  async subscribe(channel: string, listener: BroadcastListener): Promise<BusSubscription> {
    this.assertOpen();
    const subject = this.subjects.broadcast(channel);
    const subscription = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (!error) deliverBroadcast(listener, msg.data, channel, this.onListenerError);
      },
    });
    this.listening.add(subscription);
    await this.reachServer();
    return {
      unsubscribe: async () => {
        if (!this.listening.delete(subscription)) return;
        subscription.unsubscribe();
        await this.reachServer();
      },
    };
  }

  status(): BusStatus {
    return { adapter: 'nats', state: this.state, since: this.since, server: this.nc.getServer() };
  }

  protected async shutdown(): Promise<void> {
    this.setState('closed');
    this.failWaiting(new BusError('closed', 'The message bus was closed.'));
    for (const subscription of [...this.served.values(), ...this.listening]) subscription.unsubscribe();
    this.served.clear();
    this.listening.clear();
    if (!this.nc.isClosed()) {
      // Once the server has the UNSUBs, other nodes' requests get no_responder instead of waiting on this one.
      await within(this.reachServer(), this.drainTimeoutMs);
      await this.inFlight.settled(this.drainTimeoutMs);
      // drain() sends what is still buffered (the last answers) before the socket closes. With the server away
      // there is nowhere to send them, and drain() would wait for it to come back.
      if (this.linkUp) await within(this.nc.drain(), this.drainTimeoutMs);
      await this.nc.close();
    }
    await this.nc.closed();
  }

  /** `work`, or `closed` as soon as the bus closes. */
  private untilClosed<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (error: BusError) => reject(error);
      this.waiting.add(fail);
      work.then(
        (value) => {
          this.waiting.delete(fail);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(fail);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Runs the handler for one request and sends its answer back on the request's reply subject. */
  private answer(installationId: string, handler: RequestHandler, msg: Msg): void {
    const replyTo = msg.reply;
    if (!replyTo) return; // a publish, not a request: nobody waits for an answer
    const requested = Number(msg.headers?.get(TIMEOUT_HEADER));
    const timeoutMs = Number.isFinite(requested) && requested > 0 ? requested : 0;
    void this.inFlight
      .track(answerRequest(handler, msg.data, { installationId, timeoutMs }, this.maxPayloadBytes))
      .then((answer) => this.send(replyTo, answer));
  }

  private send(replyTo: string, answer: Answer): void {
    try {
      if (answer.ok) {
        this.nc.publish(replyTo, answer.bytes);
      } else {
        const h = headers();
        h.set(ERROR_HEADER, answer.error.code);
        this.nc.publish(replyTo, encodePayload(answer.error, Number.MAX_SAFE_INTEGER, 'error answer'), { headers: h });
      }
    } catch {
      // The connection closed after the drain timeout: the answer is lost and the requester times out.
    }
  }

  /**
   * Waits until the server has processed what was sent. While reconnecting there is no server to wait for: the
   * client sends every live subscription again once it is back, and forgets the ones that were unsubscribed.
   */
  private async reachServer(): Promise<void> {
    if (!this.linkUp) return;
    try {
      await this.nc.flush();
    } catch (error) {
      if (error instanceof NatsError && (error.code as ErrorCode) === ErrorCode.Disconnect) return;
      throw this.translate(error, 'the server');
    }
  }

  private translate(error: unknown, target: string, timeoutMs?: number): BusError {
    if (error instanceof BusError) return error;
    // Disconnect, or anything else from the transport: the message may not have left this node.
    const code = (error instanceof NatsError && FROM_NATS.get(error.code)) || 'disconnected';
    let message: string;
    switch (code) {
      case 'no_responder':
        message = `No node serves ${target}.`;
        break;
      case 'timeout':
        message = `${target} did not answer within ${timeoutMs ?? '?'} ms.`;
        break;
      case 'payload_too_large':
        message = `The server refused the payload for ${target}.`;
        break;
      case 'closed':
        message = 'The message bus is closed.';
        break;
      case 'disconnected':
      case 'remote_error':
      case 'invalid_argument':
        message = `NATS failed talking to ${target}.`;
        break;
    }
    return new BusError(code, message, { cause: error });
  }

  private followStatus(): void {
    // nats.js 2.x never ends the status iterator of a closed connection, so the loop is left waiting (it holds no
    // timer or socket) and closing is learnt from closed(), which settles by close() or when the client gives up.
    const follow = async () => {
      for await (const status of this.nc.status()) this.onStatus(status);
    };
    follow().catch(() => undefined);
    const closed = () => {
      this.setState('closed');
      this.failWaiting(new BusError('closed', 'The connection to NATS is closed.'));
    };
    this.nc.closed().then(closed, closed);
  }

  private onStatus(status: Status): void {
    switch (status.type) {
      case Events.Disconnect:
      case DebugEvents.Reconnecting:
      case DebugEvents.StaleConnection:
        this.linkUp = false;
        this.setState('reconnecting');
        return;
      case Events.Reconnect:
        this.linkUp = true;
        this.setState('connected');
        return;
      case Events.Update:
      case Events.LDM:
      case Events.Error:
      case DebugEvents.PingTimer:
      case DebugEvents.ClientInitiatedReconnect:
        return;
    }
  }

  /** While reconnecting the client drops what it buffered at each attempt: refuse now rather than time out. */
  private assertConnected(): void {
    if (this.state === 'reconnecting') {
      throw new BusError('disconnected', `The message bus is reconnecting to ${this.nc.getServer()}.`);
    }
  }
}
