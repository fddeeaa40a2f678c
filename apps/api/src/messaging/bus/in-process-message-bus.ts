import { BusAdapter, type BusAdapterOptions, busSettings } from './bus-adapter.js';
import { decodePayload, encodePayload, errorFromAnswer } from './bus-payload.js';
import { checkTimeout } from './bus-subjects.js';
import { type Answer, answerRequest, deliverBroadcast } from './bus-serving.js';
import {
  type BroadcastListener,
  BusError,
  type BusStatus,
  type BusSubscription,
  type JsonValue,
  type MessageBus,
  type RequestContext,
  type RequestHandler,
} from './message-bus.js';

interface Responder {
  answer(request: Uint8Array, context: RequestContext, reply: (answer: Answer) => void): void;
}

interface Listener {
  deliver(bytes: Uint8Array): void;
}

/**
 * What a NATS server is to NatsMessageBus: the routing table between the buses attached to it. Every bus makes its
 * own unless given one, which is what a single node needs; tests and benchmarks attach several "nodes" to one.
 * Subjects are the same strings the NATS adapter uses, so prefixes isolate deployments here too.
 */
export class InProcessBroker {
  private readonly responders = new Map<string, Responder[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private turn = 0;

  addResponder(subject: string, responder: Responder): void {
    this.responders.set(subject, [...(this.responders.get(subject) ?? []), responder]);
  }

  removeResponder(subject: string, responder: Responder): void {
    const rest = (this.responders.get(subject) ?? []).filter((r) => r !== responder);
    if (rest.length > 0) this.responders.set(subject, rest);
    else this.responders.delete(subject);
  }

  /** One of the subject's responders, taken in turn (a NATS queue group spreads requests likewise). */
  pickResponder(subject: string): Responder | undefined {
    const all = this.responders.get(subject);
    return all?.[this.turn++ % all.length];
  }

  addListener(subject: string, listener: Listener): void {
    let set = this.listeners.get(subject);
    if (!set) this.listeners.set(subject, (set = new Set()));
    set.add(listener);
  }

  removeListener(subject: string, listener: Listener): void {
    const set = this.listeners.get(subject);
    set?.delete(listener);
    if (set?.size === 0) this.listeners.delete(subject);
  }

  listenersOf(subject: string): Listener[] {
    return [...(this.listeners.get(subject) ?? [])];
  }
}

export interface InProcessMessageBusOptions extends BusAdapterOptions {
  /** Attach to this broker to share it with other buses; default: a broker of this bus's own. */
  broker?: InProcessBroker;
}

/**
 * The bus of a single node. Same semantics as NatsMessageBus, including the encoding: payloads are JSON-encoded,
 * bounded and parsed again on the other side, and every delivery happens on a later turn of the event loop, so the
 * app cannot come to rely on shared objects or synchronous delivery that NATS would not give it.
 */
export class InProcessMessageBus extends BusAdapter<Responder> implements MessageBus {
  private readonly broker: InProcessBroker;
  private readonly listening = new Map<Listener, string>();
  /** Set once close() has waited for handlers: answers after that are lost, as over a closed connection. */
  private released = false;

  constructor(options: InProcessMessageBusOptions = {}) {
    super(busSettings(options));
    this.broker = options.broker ?? new InProcessBroker();
  }

  serve(installationId: string, handler: RequestHandler): Promise<void> {
    return promised(() => this.serveNow(installationId, handler));
  }

  private serveNow(installationId: string, handler: RequestHandler): void {
    const subject = this.subjectToServe(installationId);
    const responder: Responder = {
      // A request routed here before an unserve is still answered (as NatsMessageBus drains a subscription): the
      // handler says at once that it no longer runs the installation, where a dropped request waits its timeout.
      answer: (request, context, reply) => {
        void this.inFlight.track(answerRequest(handler, request, context, this.maxPayloadBytes)).then((answer) => {
          if (!this.released) reply(answer);
        });
      },
    };
    this.served.set(installationId, responder);
    this.broker.addResponder(subject, responder);
  }

  unserve(installationId: string): Promise<void> {
    return promised(() => this.unserveNow(installationId));
  }

  private unserveNow(installationId: string): void {
    const subject = this.subjects.installation(installationId);
    const responder = this.served.get(installationId);
    if (responder) {
      this.served.delete(installationId);
      this.broker.removeResponder(subject, responder);
    }
  }

  request(installationId: string, payload: unknown, timeoutMs: number): Promise<JsonValue> {
    return promised(() => this.requestNow(installationId, payload, timeoutMs));
  }

  private requestNow(installationId: string, payload: unknown, timeoutMs: number): Promise<JsonValue> {
    this.assertOpen();
    const subject = this.subjects.installation(installationId);
    const timeout = checkTimeout(timeoutMs);
    const bytes = encodePayload(payload, this.maxPayloadBytes, 'request');
    const responder = this.broker.pickResponder(subject);
    if (!responder) throw new BusError('no_responder', `No node serves installation ${installationId}.`);
    return new Promise<JsonValue>((resolve, reject) => {
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiting.delete(fail);
        settle();
      };
      const fail = (error: BusError) => finish(() => reject(error));
      const timer = setTimeout(
        () => fail(new BusError('timeout', `Installation ${installationId} did not answer within ${timeout} ms.`)),
        timeout,
      );
      this.waiting.add(fail);
      setImmediate(() =>
        responder.answer(bytes, { installationId, timeoutMs: timeout }, (answer) =>
          finish(() => {
            if (!answer.ok) return reject(errorFromAnswer(answer.error));
            try {
              resolve(decodePayload(answer.bytes, 'answer'));
            } catch (error) {
              reject(error instanceof Error ? error : new BusError('invalid_argument', 'The answer is not JSON.'));
            }
          }),
        ),
      );
    });
  }

  publish(channel: string, payload: unknown): Promise<void> {
    return promised(() => this.publishNow(channel, payload));
  }

  private publishNow(channel: string, payload: unknown): void {
    this.assertOpen();
    const subject = this.subjects.broadcast(channel);
    const bytes = encodePayload(payload, this.maxPayloadBytes, 'broadcast');
    for (const listener of this.broker.listenersOf(subject)) setImmediate(() => listener.deliver(bytes));
  }

  subscribe(channel: string, listener: BroadcastListener): Promise<BusSubscription> {
    return promised(() => this.subscribeNow(channel, listener));
  }

  private subscribeNow(channel: string, listener: BroadcastListener): BusSubscription {
    this.assertOpen();
    const subject = this.subjects.broadcast(channel);
    const entry: Listener = {
      // A delivery already scheduled when the listener went away is dropped, as NATS drops it after UNSUB.
      deliver: (bytes) => {
        if (this.listening.has(entry)) deliverBroadcast(listener, bytes, channel, this.onListenerError);
      },
    };
    this.listening.set(entry, subject);
    this.broker.addListener(subject, entry);
    return {
      unsubscribe: () =>
        promised(() => {
          if (this.listening.delete(entry)) this.broker.removeListener(subject, entry);
        }),
    };
  }

  status(): BusStatus {
    return { adapter: 'in-process', state: this.state, since: this.since };
  }

  protected async shutdown(): Promise<void> {
    this.setState('closed');
    for (const installationId of [...this.served.keys()]) this.unserveNow(installationId);
    for (const [entry, subject] of this.listening) this.broker.removeListener(subject, entry);
    this.listening.clear();
    this.failWaiting(new BusError('closed', 'The message bus was closed.'));
    await this.inFlight.settled(this.drainTimeoutMs);
    this.released = true;
  }
}

/** Runs `work` now, with a synchronous throw turned into a rejection, as an async method would. */
function promised<T>(work: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}
