import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createPlughubClient, type PlughubClient } from '@app/client';
import { projectRoot } from '../../apps/api/src/config/paths.js';

/** An API server running as its own process (for the tests that kill one, or run several on one database). */
export interface ServerProcess {
  child: ChildProcess;
  /** Settles when the process has exited: with the signal that ended it, else its exit code. */
  exited: Promise<NodeJS.Signals | number | null>;
  baseUrl: string;
  /** A client logged in as the admin the server was started with. */
  client: PlughubClient;
  /** Everything it wrote so far (stdout and stderr). */
  output: () => string;
}

/**
 * Starts the API from its sources (through SWC, scripts/swc-register.mjs) on a free port, with `env` on top of a
 * minimal one (PATH, HOME, NODE_ENV=test, info logs, the admin from `admin`); resolves once it says where it
 * listens and `admin` is logged in. `name` goes into the error when it exits before listening.
 */
export async function startServerProcess(options: {
  name: string;
  admin: { email: string; password: string };
  env: Record<string, string>;
  /** Told of the process as soon as it is spawned, so a caller can kill one that never gets to listen. */
  spawned?: (child: ChildProcess) => void;
}): Promise<ServerProcess> {
  const { name, admin } = options;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'test',
    PLUGHUB_ADMIN_EMAIL: admin.email,
    PLUGHUB_ADMIN_PASSWORD: admin.password,
    // `info`: the line saying where it listens is an info line.
    PLUGHUB_LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', './scripts/swc-register.mjs', 'apps/api/src/main.ts'], {
    cwd: projectRoot(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.spawned?.(child);
  let out = '';
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"msg":"Plughub is listening","url":"http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then((how) => reject(new Error(`${name} exited (${String(how)}) before listening:\n${out}`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const login = await createPlughubClient({ baseUrl }).POST('/api/auth/token/', { body: admin });
  if (!login.data) throw new Error(`login on ${name} failed: ${JSON.stringify(login.error)}`);
  const client = createPlughubClient({ baseUrl, accessToken: login.data.access_token });
  return { child, exited, baseUrl, client, output: () => out };
}

/** Waits until the server's start-up load of the installations is over, however long it takes. */
export async function startupLoadDone(client: PlughubClient): Promise<void> {
  while ((await client.GET('/api/plugins/status/')).data!.reload_in_progress) {
    await new Promise((r) => setTimeout(r, 250));
  }
}
