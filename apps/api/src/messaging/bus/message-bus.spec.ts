import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerErrorReporter } from './bus-serving.js';
import { InProcessBroker, InProcessMessageBus } from './in-process-message-bus.js';
import {
  type BusError,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type JsonValue,
  type MessageBus,
  type RequestContext,
} from './message-bus.js';
import { NatsMessageBus } from './nats-message-bus.js';
import { findNatsServer, NatsTestServer } from './nats-test-server.js';

/**
 * One behavioural suite for both adapters, each with several buses ("nodes") on one network: an InProcessBroker,
 * or a real nats-server started here on a free loopback port. Without the binary the NATS half is skipped on a
 * developer machine and fails in CI (CI is set), where .ci/run installs it.
 */
const natsBinary = findNatsServer();
const natsRunnable = natsBinary !== null || Boolean(process.env.CI);

interface NodeOptions {
  prefix?: string;
  maxPayloadBytes?: number;
  drainTimeoutMs?: number;
  onListenerError?: ListenerErrorReporter;
}

interface Network {
  node(options?: NodeOptions): Promise<MessageBus>;
  stop(): Promise<void>;
}

const adapters: Array<{ name: string; runnable: boolean; start: () => Promise<Network> }> = [
  {
    name: 'in-process',
    runnable: true,
    start: () => {
      const broker = new InProcessBroker();
      return Promise.resolve({
        node: (options = {}) => Promise.resolve(new InProcessMessageBus({ broker, ...options })),
        stop: () => Promise.resolve(),
      });
    },
  },
  {
    name: 'nats',
    runnable: natsRunnable,
    start: async () => {
      const server = await NatsTestServer.start(natsBinary);
      return {
        node: (options = {}) => NatsMessageBus.connect({ servers: server.url, reconnectTimeWaitMs: 50, ...options }),
        stop: () => server.stop(),
      };
    },
  },
];

/** Held open by a test, released by it or at the end of the test, so no handler outlives its test. */
class Gate {
  private release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  private static all = new Set<Gate>();

  constructor() {
    Gate.all.add(this);
  }

  open(): void {
    this.release();
  }

  static openAll(): void {
    for (const gate of Gate.all) gate.open();
    Gate.all.clear();
  }
}

/** Collects what a listener receives and lets a test wait for a count of items, however long they take. */
class Inbox {
  readonly items: JsonValue[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly listener = (payload: JsonValue) => {
    this.items.push(payload);
    this.waiters = this.waiters.filter((w) => (this.items.length >= w.count ? (w.resolve(), false) : true));
  };

  async count(count: number): Promise<JsonValue[]> {
    if (this.items.length < count) await new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
    return this.items;
  }
}

async function rejection(promise: Promise<unknown>): Promise<BusError> {
  try {
    await promise;
  } catch (error) {
    return error as BusError;
  }
  throw new Error('expected the call to fail');
}

let seq = 0;
const installation = () => `inst-${process.pid}-${++seq}`;

// Long enough never to be what ends a request on a loaded machine: a test that needs it is broken.
const LONG = 120_000;

describe.each(adapters)('$name message bus', ({ name, runnable, start }) => {
  if (!runnable) {
    it.skip(`needs nats-server (apt-get install nats-server); CI fails instead of skipping`, () => {});
    return;
  }

  let network: Network;
  let nodes: MessageBus[] = [];
  const node = async (options?: NodeOptions) => {
    const bus = await network.node(options);
    nodes.push(bus);
    return bus;
  };

  beforeAll(async () => {
    network = await start();
  });

  afterEach(async () => {
    Gate.openAll();
    await Promise.all(nodes.map((bus) => bus.close()));
    nodes = [];
  });

  afterAll(async () => {
    await network?.stop();
  });

  describe('request/reply', () => {
    it('reaches the handler on whichever node serves the installation, with the requester timeout', async () => {
      const [a, b] = [await node(), await node()];
      const onB = installation();
      const onA = installation();
      const seen: Array<{ payload: JsonValue; context: RequestContext }> = [];
      await b.serve(onB, (payload, context) => {
        seen.push({ payload, context });
        return { node: 'b', echo: payload };
      });
      await a.serve(onA, () => ({ node: 'a' }));

      expect(await a.request(onB, { hello: ['world', 1, null] }, 5000)).toEqual({
        node: 'b',
        echo: { hello: ['world', 1, null] },
      });
      expect(seen).toEqual([
        { payload: { hello: ['world', 1, null] }, context: { installationId: onB, timeoutMs: 5000 } },
      ]);
      expect(await b.request(onA, null, 5000)).toEqual({ node: 'a' });
      // A node also reaches the installations it serves itself.
      expect(await a.request(onA, null, 5000)).toEqual({ node: 'a' });
    });

    it('pairs each of many concurrent requests with its own answer', async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      await b.serve(id, async (payload) => {
        const n = (payload as { n: number }).n;
        if (n % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        return { n, square: n * n };
      });
      const answers = await Promise.all(Array.from({ length: 100 }, (_, n) => a.request(id, { n }, LONG)));
      expect(answers).toEqual(Array.from({ length: 100 }, (_, n) => ({ n, square: n * n })));
    });

    it('hands over JSON copies: the handler sees no shared object, dates become strings, undefined becomes null', async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      const at = new Date('2026-12-01T10:00:00.000Z');
      await b.serve(id, (payload) => {
        (payload as { list: number[] }).list.push(99);
        return undefined;
      });
      const sent = { list: [1], at };
      expect(await a.request(id, sent, LONG)).toBeNull();
      expect(sent.list).toEqual([1]);

      const echo = installation();
      await b.serve(echo, (payload) => payload);
      expect(await a.request(echo, { at, skipped: undefined }, LONG)).toEqual({ at: '2026-12-01T10:00:00.000Z' });
    });

    it('fails with no_responder at once when no node serves the installation', async () => {
      const [a] = [await node(), await node()];
      // The suite's test timeout (30 s) is far below LONG: only an immediate answer passes.
      const error = await rejection(a.request(installation(), { ping: true }, LONG));
      expect(error.code).toBe('no_responder');
    });

    it('fails with timeout when the handler does not answer in time, and drops the late answer', async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      const gate = new Gate();
      let calls = 0;
      await b.serve(id, async (payload) => {
        if (++calls === 1) await gate.opened;
        return payload;
      });
      const error = await rejection(a.request(id, { n: 1 }, 200));
      expect(error.code).toBe('timeout');
      gate.open();
      // The first handler call answers now; the next request must get its own answer, not that one.
      expect(await a.request(id, { n: 2 }, LONG)).toEqual({ n: 2 });
      expect(calls).toBe(2);
    });

    it("propagates the handler's failure as remote_error with its message and code", async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      await b.serve(id, (payload) => {
        const kind = (payload as { kind: string }).kind;
        if (kind === 'sync') throw Object.assign(new Error('greeting not found'), { code: 'PLUGIN_ERROR' });
        if (kind === 'async') return Promise.reject(new TypeError('bad shape'));
        const notAnError: unknown = 'plain string';
        if (kind === 'string') throw notAnError;
        return 'fine';
      });
      const sync = await rejection(a.request(id, { kind: 'sync' }, LONG));
      expect(sync).toMatchObject({ code: 'remote_error', remoteCode: 'PLUGIN_ERROR', message: 'greeting not found' });
      const async = await rejection(a.request(id, { kind: 'async' }, LONG));
      expect(async).toMatchObject({ code: 'remote_error', message: 'bad shape' });
      expect(async.remoteCode).toBeUndefined();
      expect(await rejection(a.request(id, { kind: 'string' }, LONG))).toMatchObject({
        code: 'remote_error',
        message: 'plain string',
      });
      // The installation keeps answering after its failures.
      expect(await a.request(id, { kind: 'other' }, LONG)).toBe('fine');
    });

    it('runs each request on one node only when two serve the same installation (a lease changing hands)', async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const id = installation();
      const runs = { b: 0, c: 0 };
      await b.serve(id, () => ++runs.b);
      await c.serve(id, () => ++runs.c);
      await Promise.all(Array.from({ length: 40 }, () => a.request(id, null, LONG)));
      expect(runs.b + runs.c).toBe(40);
      await b.unserve(id);
      const before = runs.c;
      await a.request(id, null, LONG);
      expect(runs.c).toBe(before + 1);
    });
  });

  describe('serve and unserve', () => {
    it('stops answering after unserve while a request already running still gets its answer', async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      const gate = new Gate();
      const started = new Gate();
      await b.serve(id, async () => {
        started.open();
        await gate.opened;
        return 'late but delivered';
      });
      const running = a.request(id, null, LONG);
      await started.opened;
      await b.unserve(id);
      expect((await rejection(a.request(id, null, LONG))).code).toBe('no_responder');
      gate.open();
      expect(await running).toBe('late but delivered');
      // Unserving what is not served is a no-op.
      await b.unserve(id);
      await b.unserve(installation());
    });

    it('answers the requests routed to it before an unserve: none is dropped to wait out its timeout', async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      await b.serve(id, () => 'answered');
      const sent = Array.from({ length: 20 }, () =>
        a.request(id, null, 3_000).then(
          (value) => value,
          (error: BusError) => error.code,
        ),
      );
      await b.unserve(id);
      const outcomes = await Promise.all(sent);
      // Each one was answered by the handler, or found nobody serving: none timed out in between.
      expect(outcomes.filter((o) => o !== 'answered' && o !== 'no_responder')).toEqual([]);
    });

    it('refuses to serve one installation twice on one bus, and serves it again after unserve', async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      await b.serve(id, () => 1);
      expect((await rejection(b.serve(id, () => 2))).code).toBe('invalid_argument');
      expect(await a.request(id, null, LONG)).toBe(1);
      await b.unserve(id);
      await b.serve(id, () => 3);
      expect(await a.request(id, null, LONG)).toBe(3);
    });

    it('refuses installation ids, channels and timeouts that are not valid before sending anything', async () => {
      const [a] = [await node()];
      for (const bad of ['a.b', '*', '>', '', 'white space']) {
        expect((await rejection(a.serve(bad, () => null))).code).toBe('invalid_argument');
        expect((await rejection(a.request(bad, null, 1000))).code).toBe('invalid_argument');
        expect((await rejection(a.unserve(bad))).code).toBe('invalid_argument');
      }
      for (const bad of ['a..b', 'kill.*', 'kill.>', '']) {
        expect((await rejection(a.publish(bad, null))).code).toBe('invalid_argument');
        expect((await rejection(a.subscribe(bad, () => undefined))).code).toBe('invalid_argument');
      }
      const id = installation();
      await a.serve(id, () => null);
      for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect((await rejection(a.request(id, null, bad))).code).toBe('invalid_argument');
      }
    });
  });

  describe('payloads', () => {
    it('refuses requests, answers and broadcasts larger than maxPayloadBytes before sending them', async () => {
      const limit = 1024;
      const [a, b] = [await node({ maxPayloadBytes: limit }), await node({ maxPayloadBytes: limit })];
      expect(a.maxPayloadBytes).toBe(limit);
      const id = installation();
      let calls = 0;
      await b.serve(id, (payload) => {
        calls++;
        return 'y'.repeat((payload as { answer: number }).answer);
      });
      const big = { answer: 1, pad: 'x'.repeat(limit) };
      expect((await rejection(a.request(id, big, LONG))).code).toBe('payload_too_large');
      expect(calls).toBe(0);
      // An answer that does not fit comes back as payload_too_large too, not as a timeout.
      expect((await rejection(a.request(id, { answer: limit }, LONG))).code).toBe('payload_too_large');
      expect(calls).toBe(1);
      // Exactly at the bound is fine: a string of n characters is n + 2 bytes of JSON.
      expect(await a.request(id, { answer: limit - 2 }, LONG)).toHaveLength(limit - 2);

      const inbox = new Inbox();
      await b.subscribe('big', inbox.listener);
      expect((await rejection(a.publish('big', 'x'.repeat(limit)))).code).toBe('payload_too_large');
      await a.publish('big', 'small');
      expect(await inbox.count(1)).toEqual(['small']);
    });

    it('uses the default bound when none is given', async () => {
      expect((await node()).maxPayloadBytes).toBe(DEFAULT_MAX_PAYLOAD_BYTES);
    });

    it('refuses what JSON cannot hold, in requests and in answers', async () => {
      const [a, b] = [await node(), await node()];
      const id = installation();
      await b.serve(id, () => ({ big: 10n }));
      expect((await rejection(a.request(id, { big: 10n }, LONG))).code).toBe('invalid_argument');
      expect((await rejection(a.publish('bigint', 10n))).code).toBe('invalid_argument');
      // The handler's unsendable answer is its own failure.
      expect((await rejection(a.request(id, null, LONG))).code).toBe('remote_error');
    });
  });

  describe('broadcast', () => {
    it('reaches every listener on every node, the publisher included, once and in order', async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const inboxes = [new Inbox(), new Inbox(), new Inbox(), new Inbox()];
      await a.subscribe('kill', inboxes[0].listener);
      await b.subscribe('kill', inboxes[1].listener);
      await c.subscribe('kill', inboxes[2].listener);
      await c.subscribe('kill', inboxes[3].listener);
      for (let n = 0; n < 50; n++) await a.publish('kill', { n });
      await b.publish('kill', 'fence');
      for (const inbox of inboxes) {
        const items = await inbox.count(51);
        expect(items).toEqual([...Array.from({ length: 50 }, (_, n) => ({ n })), 'fence']);
      }
    });

    it('delivers a channel only to its own listeners', async () => {
      const [a, b] = [await node(), await node()];
      const kill = new Inbox();
      const wake = new Inbox();
      await b.subscribe('kill', kill.listener);
      await b.subscribe('events.wake', wake.listener);
      await a.publish('events.wake', 1);
      await a.publish('kill', 'k');
      await a.publish('events.wake', 2);
      expect(await wake.count(2)).toEqual([1, 2]);
      expect(await kill.count(1)).toEqual(['k']);
    });

    it('stops delivering after unsubscribe, to that listener only', async () => {
      const [a, b] = [await node(), await node()];
      const gone = new Inbox();
      const kept = new Inbox();
      const subscription = await b.subscribe('wake', gone.listener);
      await b.subscribe('wake', kept.listener);
      await a.publish('wake', 1);
      await gone.count(1);
      await subscription.unsubscribe();
      await subscription.unsubscribe();
      await a.publish('wake', 2);
      expect(await kept.count(2)).toEqual([1, 2]);
      expect(gone.items).toEqual([1]);
    });

    it('reports a failing listener and keeps delivering to it and to the others', async () => {
      const failures: Array<{ error: unknown; channel: string }> = [];
      const [a, b] = [
        await node(),
        await node({ onListenerError: (error, channel) => failures.push({ error, channel }) }),
      ];
      const kept = new Inbox();
      const failing = new Inbox();
      await b.subscribe('wake', (payload) => {
        failing.listener(payload);
        if (payload === 'throw') throw Object.assign(new Error('listener broke'), { code: 'SYNC' });
        if (payload === 'reject') return Promise.reject(Object.assign(new Error('listener broke'), { code: 'ASYNC' }));
      });
      await b.subscribe('wake', kept.listener);
      await a.publish('wake', 'throw');
      await a.publish('wake', 'reject');
      await a.publish('wake', 'fine');
      expect(await kept.count(3)).toEqual(['throw', 'reject', 'fine']);
      expect(await failing.count(3)).toEqual(['throw', 'reject', 'fine']);
      // A rejected listener promise is reported a microtask after the call.
      await new Promise((resolve) => setImmediate(resolve));
      expect(failures.map((f) => [(f.error as { code: string }).code, f.channel])).toEqual([
        ['SYNC', 'wake'],
        ['ASYNC', 'wake'],
      ]);
    });
  });

  describe('subject prefix', () => {
    it('keeps deployments that share a network apart', async () => {
      const [alpha, alpha2, beta] = [
        await node({ prefix: 'alpha' }),
        await node({ prefix: 'alpha' }),
        await node({ prefix: 'beta.eu' }),
      ];
      const id = installation();
      await alpha.serve(id, () => 'alpha');
      expect(await alpha2.request(id, null, LONG)).toBe('alpha');
      expect((await rejection(beta.request(id, null, LONG))).code).toBe('no_responder');
      await beta.serve(id, () => 'beta');
      expect(await beta.request(id, null, LONG)).toBe('beta');
      expect(await alpha2.request(id, null, LONG)).toBe('alpha');

      const alphaInbox = new Inbox();
      const betaInbox = new Inbox();
      await alpha.subscribe('kill', alphaInbox.listener);
      await beta.subscribe('kill', betaInbox.listener);
      await alpha2.publish('kill', 'alpha only');
      await alphaInbox.count(1);
      // alpha's message was routed before beta's fence was published: had beta been a receiver, it came first.
      await beta.publish('kill', 'beta fence');
      expect(await betaInbox.count(1)).toEqual(['beta fence']);
      expect(alphaInbox.items).toEqual(['alpha only']);
    });

    it('refuses a prefix that is not dot-separated tokens', async () => {
      expect((await rejection(node({ prefix: 'a.*' }))).code).toBe('invalid_argument');
    });
  });

  describe('status and close', () => {
    it('is connected until closed, then refuses everything with closed', async () => {
      const [a, b] = [await node(), await node()];
      expect(a.status()).toMatchObject({ adapter: name, state: 'connected' });
      const id = installation();
      await a.serve(id, () => 'a');
      await a.close();
      await a.close();
      expect(a.status().state).toBe('closed');
      expect((await rejection(b.request(id, null, LONG))).code).toBe('no_responder');
      for (const call of [
        a.request(id, null, 1000),
        a.serve(installation(), () => null),
        a.publish('kill', null),
        a.subscribe('kill', () => undefined),
      ]) {
        expect((await rejection(call)).code).toBe('closed');
      }
      await a.unserve(id);
    });

    it('lets running handlers answer, rejects its own waiting requests and stops listening', async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const onA = installation();
      const onB = installation();
      const gate = new Gate();
      const started = new Gate();
      await a.serve(onA, async () => {
        started.open();
        await gate.opened;
        return 'answered while closing';
      });
      await b.serve(onB, () => gate.opened.then(() => 'too late'));
      const inbox = new Inbox();
      await a.subscribe('kill', inbox.listener);

      const servedByA = b.request(onA, null, LONG);
      const waitingOnB = a.request(onB, null, LONG);
      await started.opened;
      const closing = a.close();
      expect((await rejection(waitingOnB)).code).toBe('closed');
      gate.open();
      expect(await servedByA).toBe('answered while closing');
      await closing;

      await c.publish('kill', 'after close');
      const fence = new Inbox();
      await c.subscribe('kill', fence.listener);
      await c.publish('kill', 'fence');
      await fence.count(1);
      expect(inbox.items).toEqual([]);
    });

    it('gives up waiting for a handler after drainTimeoutMs', async () => {
      const [a, b] = [await node({ drainTimeoutMs: 50 }), await node()];
      const id = installation();
      const started = new Gate();
      await a.serve(id, () => {
        started.open();
        return new Gate().opened;
      });
      const request = b.request(id, null, 500);
      await started.opened;
      await a.close();
      // The answer never comes: the requester ends on its own timeout, not with an answer from a closed bus.
      expect((await rejection(request)).code).toBe('timeout');
    });
  });
});

describe.skipIf(!natsRunnable)('NATS message bus against a real server', () => {
  let server: NatsTestServer;
  let buses: MessageBus[] = [];
  const connect = async (options: { prefix?: string; maxPayloadBytes?: number } = {}) => {
    const bus = await NatsMessageBus.connect({ servers: server.url, reconnectTimeWaitMs: 50, ...options });
    buses.push(bus);
    return bus;
  };

  /** Polls until `check` holds; the deadline only stops a broken test from hanging. */
  async function eventually(check: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 25_000; !check(); await new Promise((resolve) => setTimeout(resolve, 20))) {
      if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    }
  }

  beforeAll(async () => {
    server = await NatsTestServer.start(natsBinary);
  });

  afterEach(async () => {
    Gate.openAll();
    await Promise.all(buses.map((bus) => bus.close()));
    buses = [];
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('reports the server it talks to', async () => {
    const bus = await connect();
    expect(bus.status()).toMatchObject({ adapter: 'nats', state: 'connected', server: `127.0.0.1:${server.port}` });
  });

  it('reconnects after the server restarts, refusing with disconnected meanwhile, and serves again', async () => {
    const [a, b] = [await connect(), await connect()];
    const id = installation();
    await b.serve(id, (payload) => ({ from: 'b', payload }));
    const inbox = new Inbox();
    await b.subscribe('kill', inbox.listener);
    expect(await a.request(id, 1, LONG)).toEqual({ from: 'b', payload: 1 });

    await server.stop('SIGKILL');
    await eventually(() => a.status().state === 'reconnecting', 'a to notice the server is gone');
    expect((await rejection(a.request(id, 2, LONG))).code).toBe('disconnected');
    expect((await rejection(a.publish('kill', 'lost'))).code).toBe('disconnected');

    await server.startAgain();
    await eventually(
      () => a.status().state === 'connected' && b.status().state === 'connected',
      'both buses to reconnect',
    );
    // b re-sends its subscriptions on reconnect; its publish's flush proves the server has processed them.
    await b.publish('kill', 'b is back');
    expect(await a.request(id, 3, LONG)).toEqual({ from: 'b', payload: 3 });
    await a.publish('kill', 'a is back');
    expect(await inbox.count(2)).toEqual(['b is back', 'a is back']);
  });

  it('registers a serve made while the server is away once it is back', async () => {
    const [a, b] = [await connect(), await connect()];
    await server.stop('SIGKILL');
    try {
      await eventually(() => b.status().state === 'reconnecting', 'b to notice the server is gone');
      const id = installation();
      await b.serve(id, () => 'served after the outage');
      await server.startAgain();
      await eventually(() => a.status().state === 'connected' && b.status().state === 'connected', 'reconnects');
      await b.publish('fence', null);
      expect(await a.request(id, null, LONG)).toBe('served after the outage');
    } finally {
      await server.startAgain();
    }
  });

  it('neither serves nor closes waiting for a server that is away', async () => {
    // Waits between reconnect attempts and a drain timeout beyond the test's own: only a close that waits neither
    // for the server nor for the client's next attempt passes.
    const a = await NatsMessageBus.connect({ servers: server.url, reconnectTimeWaitMs: LONG, drainTimeoutMs: LONG });
    buses.push(a);
    await a.serve(installation(), () => null);
    await a.subscribe('kill', () => undefined);
    await server.stop('SIGKILL');
    try {
      await eventually(() => a.status().state === 'reconnecting', 'a to notice the server is gone');
      await a.serve(installation(), () => null);
      await a.close();
      expect(a.status().state).toBe('closed');
    } finally {
      await server.startAgain();
    }
  });

  it('answers no_responder, not a hang, once the process serving an installation is killed', async () => {
    const a = await connect();
    const id = installation();
    const child = await serveFromChildProcess(server.url, id);
    try {
      expect(await a.request(id, 'ping', LONG)).toEqual({ pid: child.pid, payload: 'ping' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      // The server drops a dead client's subscriptions when its socket closes; a request in between times out.
      let error: BusError;
      do error = await rejection(a.request(id, 'ping', 1000));
      while (error.code === 'timeout');
      expect(error.code).toBe('no_responder');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('fails to connect with disconnected when no server listens', async () => {
    const dead = await NatsTestServer.start(natsBinary);
    await dead.stop();
    const error = await rejection(NatsMessageBus.connect({ servers: dead.url, connectTimeoutMs: 2000 }));
    expect(error.code).toBe('disconnected');
  });

  it("refuses a payload bound the server's max_payload cannot carry", async () => {
    const error = await rejection(connect({ maxPayloadBytes: 2 * 1024 * 1024 }));
    expect(error.code).toBe('invalid_argument');
  });
});

const busModule = fileURLToPath(new URL('./nats-message-bus.ts', import.meta.url));

/** A second "node" in its own process: serves one installation and prints SERVING once requests can reach it. */
function serveFromChildProcess(url: string, installationId: string): Promise<ChildProcess> {
  const script = `
    import { NatsMessageBus } from ${JSON.stringify(busModule)};
    const bus = await NatsMessageBus.connect({ servers: ${JSON.stringify(url)} });
    await bus.serve(${JSON.stringify(installationId)}, (payload) => ({ pid: process.pid, payload }));
    process.stdout.write('SERVING\\n');
    setInterval(() => {}, 1 << 30);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('SERVING')) resolve(child);
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the serving process exited (${code}):\n${out}`)));
  });
}
