/**
 * Message bus benchmark (not a test): `npx tsx bench/message-bus.bench.ts`.
 *
 * Request/reply round-trips between two buses ("nodes"), the handler answering the payload it got (a plugin
 * message of about 90 bytes of JSON), over:
 *   - in-process: two InProcessMessageBus on one InProcessBroker;
 *   - NATS, one process: two NatsMessageBus connections to a local nats-server;
 *   - NATS, two processes: the serving bus runs in a child process (this script with `--serve`).
 * Per round and per transport: latency one request at a time (p50, p99 over BENCH_SEQUENTIAL requests) and
 * throughput with BENCH_IN_FLIGHT requests in flight for BENCH_SECONDS. Rounds alternate between the transports
 * so machine noise hits all of them; medians over BENCH_ROUNDS rounds are reported.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import {
  InProcessBroker,
  InProcessMessageBus,
  type MessageBus,
  NatsMessageBus,
} from '../apps/api/src/messaging/bus/index.js';
import { NatsTestServer } from '../apps/api/src/messaging/bus/nats-test-server.js';
import { median, stopServer } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const TARGET = 'bench-target';
const TIMEOUT_MS = 10_000;
/** The child serves under its own prefix, so that the one-process NATS server's TARGET does not answer for it. */
const CHILD_PREFIX = 'bench.child';

const echo = (payload: unknown) => payload;

if (process.argv[2] === '--serve') {
  // The child: serves TARGET on the given server, under its own prefix, until stdin closes or it is told to stop.
  const bus = await NatsMessageBus.connect({ servers: process.argv[3], prefix: CHILD_PREFIX, name: 'bench-child' });
  await bus.serve(TARGET, echo);
  process.stdout.write('SERVING\n');
  const stop = () => void bus.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.stdin.once('close', stop);
  process.stdin.resume();
} else {
  await main();
}

interface Transport {
  name: string;
  client: MessageBus;
  stop(): Promise<void>;
}

interface Sample {
  p50: number;
  p99: number;
  rps: number;
}

async function main(): Promise<void> {
  const nats = await NatsTestServer.start();
  const broker = new InProcessBroker();
  const transports: Transport[] = [];

  const localServer = new InProcessMessageBus({ broker });
  await localServer.serve(TARGET, echo);
  transports.push({
    name: 'in-process',
    client: new InProcessMessageBus({ broker }),
    stop: () => localServer.close(),
  });

  const natsServer = await NatsMessageBus.connect({ servers: nats.url, name: 'bench-server' });
  await natsServer.serve(TARGET, echo);
  transports.push({
    name: 'NATS, one process',
    client: await NatsMessageBus.connect({ servers: nats.url, name: 'bench-client' }),
    stop: () => natsServer.close(),
  });

  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--serve', nats.url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('SERVING') && resolve());
    child.once('exit', (code) => reject(new Error(`serving process exited with ${code}`)));
  });
  transports.push({
    name: 'NATS, two processes',
    client: await NatsMessageBus.connect({ servers: nats.url, name: 'bench-client', prefix: CHILD_PREFIX }),
    stop: () => stopServer(child),
  });

  const results = new Map<string, Sample[]>(transports.map((t) => [t.name, []]));
  const payload = (n: number) => ({ type: 'greet', data: { name: 'Ada Lovelace', n, tags: ['a', 'b'] }, from: null });

  for (const t of transports) await sequential(t.client, 200, payload, t.name); // warm up JIT and connections

  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 ? [...transports].reverse() : transports) {
      const sample = await measure(t, payload);
      results.get(t.name)!.push(sample);
      console.log(
        `round ${round + 1} ${t.name.padEnd(20)} p50 ${sample.p50.toFixed(3)} ms, p99 ${sample.p99.toFixed(3)} ms, ` +
          `${sample.rps.toFixed(0)} round-trips/s with ${IN_FLIGHT} in flight`,
      );
    }
  }

  console.log(
    `\nmedians of ${ROUNDS} rounds (${SEQUENTIAL} sequential requests; ${SECONDS} s at ${IN_FLIGHT} in flight)`,
  );
  console.log(`${'transport'.padEnd(22)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'round-trips/s'.padStart(15)}`);
  for (const [name, samples] of results) {
    console.log(
      `${name.padEnd(22)}${median(samples.map((s) => s.p50))
        .toFixed(3)
        .padStart(9)}${median(samples.map((s) => s.p99))
        .toFixed(3)
        .padStart(9)}${median(samples.map((s) => s.rps))
        .toFixed(0)
        .padStart(15)}`,
    );
  }

  for (const t of transports) {
    await t.client.close();
    await t.stop();
  }
  await nats.stop();
}

async function measure(t: Transport, payload: (n: number) => unknown): Promise<Sample> {
  const latencies = await sequential(t.client, SEQUENTIAL, payload, t.name);
  latencies.sort((a, b) => a - b);
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const start = performance.now();
  const loop = async () => {
    while (performance.now() < until) {
      await t.client.request(TARGET, payload(done), TIMEOUT_MS);
      done++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
  const rps = done / ((performance.now() - start) / 1000);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rps };
}

async function sequential(client: MessageBus, count: number, payload: (n: number) => unknown, name: string) {
  const latencies: number[] = [];
  for (let n = 0; n < count; n++) {
    const t = performance.now();
    const answer = (await client.request(TARGET, payload(n), TIMEOUT_MS)) as { data: { n: number } };
    latencies.push(performance.now() - t);
    if (answer.data.n !== n) throw new Error(`${name}: answer ${answer.data.n} for request ${n}`);
  }
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
