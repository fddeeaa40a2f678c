import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/**
 * A real nats-server for tests and benchmarks: started on a free loopback port, restartable on that same port (to
 * exercise reconnects), stopped at the end. Debian's `nats-server` package puts the binary in /usr/sbin, which a
 * non-root PATH often lacks, so that is searched too; NATS_SERVER_BIN overrides the search.
 */
export function findNatsServer(): string | null {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export class NatsTestServer {
  private child: ChildProcess | null = null;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port (another process may take a free port first: then it tries another). */
  static async start(binary = findNatsServer()): Promise<NatsTestServer> {
    if (!binary) throw new Error('nats-server is not installed (apt-get install nats-server, or set NATS_SERVER_BIN)');
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new NatsTestServer(binary, await freePort());
      try {
        await server.startAgain();
        return server;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Kills the server (SIGKILL: clients see the socket drop, as when a host dies) and starts it again. */
  async restart(): Promise<void> {
    await this.stop('SIGKILL');
    await this.startAgain();
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts the server again on its port after stop(). */
  startAgain(): Promise<void> {
    if (this.child) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const child = spawn(
        this.binary,
        ['-a', '127.0.0.1', '-p', String(this.port), '-n', `plughub-test-${this.port}`],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let log = '';
      const onLog = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          child.stderr.off('data', onLog);
          child.stderr.resume();
          child.off('exit', onExit);
          this.child = child;
          resolve();
        }
      };
      const onExit = (code: number | null) => reject(new Error(`nats-server exited (${code}) before ready:\n${log}`));
      child.stderr.on('data', onLog);
      child.once('exit', onExit);
      child.once('error', reject);
    });
  }
}

/** A port that was free a moment ago, for servers that must be told their port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
