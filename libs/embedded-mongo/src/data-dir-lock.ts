import { closeSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * One engine per data directory, with a lock that dies with its owner, as mongod's does.
 *
 * On Linux the lock is a socket bound in the abstract namespace under a name derived from the directory's
 * device and inode: binding is atomic, and the kernel releases it the moment the owner exits (a SIGKILLed
 * engine that is still a zombie, or whose pid was recycled in a restarted container, holds nothing). The
 * `mongod.lock` file beside the data only says who holds it: pid, process start time and boot id, so a
 * second engine in another network namespace but the same pid namespace is still recognised as alive.
 *
 * Elsewhere (no abstract sockets) the file is the lock: its pid must be alive and the owner touches it every
 * 5 s, so a lock nobody touched for 30 s (a recycled pid) is taken over.
 */

export const LOCK_FILE = 'mongod.lock';
const FILE_MODE = 0o600;
const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;

/** Data directories held by this process (a second open in one process must fail too). */
const heldDirs = new Set<string>();

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `embedded-mongo: data directory ${dir} is already in use by process ${pid} (lock file ${path.join(dir, LOCK_FILE)})`,
    );
    this.name = 'DataDirLockedError';
  }
}

interface Owner {
  pid: number;
  startTime?: string;
  bootId?: string;
}

export class DataDirLock {
  private heartbeat: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly socket: net.Server | undefined,
  ) {}

  /** Takes the lock of `dir` (an absolute path to an existing directory) or throws DataDirLockedError. */
  static async acquire(dir: string): Promise<DataDirLock> {
    if (heldDirs.has(dir)) throw new DataDirLockedError(dir, process.pid);
    heldDirs.add(dir);
    try {
      const lock = process.platform === 'linux' ? await acquireKernelLock(dir) : acquireFileLock(dir);
      return lock;
    } catch (err) {
      heldDirs.delete(dir);
      throw err;
    }
  }

  /** @internal */
  static create(dir: string, socket: net.Server | undefined): DataDirLock {
    const lock = new DataDirLock(dir, socket);
    writeOwnerFile(dir);
    if (!socket) {
      lock.heartbeat = setInterval(() => {
        try {
          const now = new Date();
          utimesSync(path.join(dir, LOCK_FILE), now, now);
        } catch {
          // The next open will judge the lock by its pid alone.
        }
      }, HEARTBEAT_MS).unref();
    }
    return lock;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    try {
      unlinkSync(path.join(this.dir, LOCK_FILE));
    } catch {
      // already gone
    }
    if (this.socket) await new Promise<void>((resolve) => this.socket?.close(() => resolve()));
    heldDirs.delete(this.dir);
  }
}

async function acquireKernelLock(dir: string): Promise<DataDirLock> {
  const st = statSync(dir);
  const name = `\0embedded-mongo-data-dir:${st.dev}:${st.ino}`;
  const server = net.createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: name }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new DataDirLockedError(dir, readOwner(dir)?.pid ?? 0);
    throw err;
  }
  server.unref();
  // The socket is ours; the file only matters when it names an engine provably alive in another namespace.
  const owner = readOwner(dir);
  if (owner && owner.pid !== process.pid && isSameLiveProcess(owner)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw new DataDirLockedError(dir, owner.pid);
  }
  return DataDirLock.create(dir, server);
}

function acquireFileLock(dir: string): DataDirLock {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(file, 'wx', FILE_MODE));
      return DataDirLock.create(dir, undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(dir);
    let fresh = false;
    try {
      fresh = Date.now() - statSync(file).mtimeMs < STALE_MS;
    } catch {
      fresh = false;
    }
    if (owner && owner.pid > 0 && owner.pid !== process.pid && pidAlive(owner.pid) && fresh)
      throw new DataDirLockedError(dir, owner.pid);
    unlinkSync(file);
  }
  throw new DataDirLockedError(dir, 0);
}

function writeOwnerFile(dir: string): void {
  const owner: Owner = { pid: process.pid, ...processIdentity(process.pid) };
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...owner, at: new Date().toISOString() }), {
    mode: FILE_MODE,
  });
}

function readOwner(dir: string): Owner | undefined {
  try {
    const raw = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;
    const pid = Number(raw.pid);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return {
      pid,
      startTime: typeof raw.startTime === 'string' ? raw.startTime : undefined,
      bootId: typeof raw.bootId === 'string' ? raw.bootId : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Linux: the process's start time (clock ticks since boot), its state letter, and the boot id. */
function processIdentity(pid: number): { startTime?: string; bootId?: string; state?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return { state: fields[0], startTime: fields[19], bootId };
  } catch {
    return {};
  }
}

/** True only when `owner`'s pid runs, is not a zombie, and is the very process that wrote the file. */
function isSameLiveProcess(owner: Owner): boolean {
  if (!owner.startTime || !owner.bootId) return false;
  const now = processIdentity(owner.pid);
  if (!now.state || now.state === 'Z' || now.state === 'X' || now.state === 'x') return false;
  return now.startTime === owner.startTime && now.bootId === owner.bootId;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
