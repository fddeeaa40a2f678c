import { RuntimeError } from '../runtime-error.js';

/**
 * Key-value store behind `context.storage`, one namespace per installation. Values are JSON; the quota counts the
 * UTF-8 bytes of key + JSON text of every entry of the installation.
 */
export interface PluginStorage {
  get(installationId: string, key: string): Promise<unknown>;
  /** Throws RuntimeError LIMIT_EXCEEDED when the write would take the installation over `quotaBytes`. */
  set(installationId: string, key: string, value: unknown, quotaBytes: number): Promise<void>;
  delete(installationId: string, key: string): Promise<boolean>;
  /** Keys starting with `prefix`, sorted. */
  list(installationId: string, prefix?: string): Promise<string[]>;
  /** Bytes used by the installation. */
  usage(installationId: string): Promise<number>;
  /** Drops every key of the installation (uninstall without keeping data). */
  clear(installationId: string): Promise<void>;
}

export const MAX_STORAGE_KEY_LENGTH = 512;

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_STORAGE_KEY_LENGTH) {
    throw new RuntimeError('INVALID_ARGUMENT', `storage keys are 1 to ${MAX_STORAGE_KEY_LENGTH} characters`);
  }
}

/** JSON text of a value, refusing what JSON cannot hold. */
export function encodeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new RuntimeError('INVALID_ARGUMENT', 'storage values must be JSON-serialisable');
  return text;
}

export const entrySize = (key: string, json: string) => Buffer.byteLength(key) + Buffer.byteLength(json);

export function quotaError(used: number, adding: number, quota: number): RuntimeError {
  return new RuntimeError(
    'LIMIT_EXCEEDED',
    `storage quota exceeded: ${used} bytes used, this write needs ${adding} more, quota is ${quota} bytes`,
  );
}

/** Runs tasks for one key one after the other; used so a quota check and its write are not interleaved. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
