import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSecretKey, type SecretsConfig } from '../config/app-config.js';
import { secretKey, type SecretKey } from './secret-box.js';
import { loadSecretKey, SECRET_KEY_FILE } from './secret-key.js';

/** Keys retired by rotations, one per line: kept so a value a rotation missed can still be opened. */
export const PREVIOUS_KEYS_FILE = 'secret-keys.previous';
/** The key a rotation in progress re-seals under; it becomes the key file when the rotation completes. */
export const NEXT_KEY_FILE = 'secret-key.next';

export interface Keyring {
  current: SecretKey;
  /** Keys that only open: retired ones, and the next key of a rotation in progress. */
  others: SecretKey[];
}

function readKeys(file: string): SecretKey[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const bytes = decodeSecretKey(line);
      if (!bytes) throw new Error(`${file} holds a line that is not a 32-byte key`);
      return secretKey(bytes);
    });
}

/** The key that seals (see loadSecretKey) and every key that may still have to open something. */
export function loadKeyring(config: SecretsConfig): Keyring & { source: ReturnType<typeof loadSecretKey>['source'] } {
  const { key, source } = loadSecretKey(config);
  const others =
    config.keyDir === null
      ? []
      : [...readKeys(join(config.keyDir, PREVIOUS_KEYS_FILE)), ...readKeys(join(config.keyDir, NEXT_KEY_FILE))];
  return { current: key, others: others.filter((k) => k.id !== key.id), source };
}

/**
 * The key a rotation re-seals under: `given` (PLUGHUB_NEW_SECRET_KEY, required when the current key comes from
 * PLUGHUB_SECRET_KEY), else the next-key file of a rotation that was interrupted, else a new random key written
 * there first (mode 0600), so an interruption never loses the key values were re-sealed under.
 */
export function nextKey(config: SecretsConfig, given: string | null): SecretKey {
  if (given !== null) {
    const bytes = decodeSecretKey(given);
    if (!bytes) throw new Error('PLUGHUB_NEW_SECRET_KEY is not a 32-byte key');
    return secretKey(bytes);
  }
  if (config.key !== null) throw new Error('PLUGHUB_SECRET_KEY is set: give the new key as PLUGHUB_NEW_SECRET_KEY');
  if (config.keyDir === null) throw new Error('the in-memory database keeps no secrets to rotate');
  const file = join(config.keyDir, NEXT_KEY_FILE);
  const [pending] = readKeys(file);
  if (pending) return pending;
  const bytes = randomBytes(32);
  writeFileSync(file, bytes.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secretKey(bytes);
}

/**
 * Finishes a complete rotation of the key file: the old key joins the retired ones, the next key becomes the key
 * file (an atomic rename). Each step can be repeated, so a run interrupted here finishes on the next one.
 */
export function promoteNextKey(config: SecretsConfig, old: SecretKey): void {
  if (config.keyDir === null || config.key !== null) return;
  const previous = join(config.keyDir, PREVIOUS_KEYS_FILE);
  if (!readKeys(previous).some((k) => k.id === old.id)) {
    const lines = existsSync(previous) ? readFileSync(previous, 'utf8') : '';
    writeFileSync(previous, lines + old.key.toString('base64') + '\n', { mode: 0o600 });
    chmodSync(previous, 0o600);
  }
  const next = join(config.keyDir, NEXT_KEY_FILE);
  if (existsSync(next)) renameSync(next, join(config.keyDir, SECRET_KEY_FILE));
}
