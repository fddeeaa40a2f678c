import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSecretKey, type SecretsConfig } from '../config/app-config.js';
import { secretKey, type SecretKey } from './secret-box.js';

export const SECRET_KEY_FILE = 'secret-key';

/** Where the key came from, for the start-up log (never the key). */
export type SecretKeySource = 'environment' | 'key_file' | 'generated_file' | 'process';

/**
 * The key that seals secret settings: PLUGHUB_SECRET_KEY when set; else the key file in the data dir (created
 * with mode 0600 on first start, so secrets survive restarts); else, with the in-memory database, a random key
 * for this process only (nothing it sealed outlives the process anyway).
 */
export function loadSecretKey(config: SecretsConfig): { key: SecretKey; source: SecretKeySource } {
  if (config.key !== null) {
    const bytes = decodeSecretKey(config.key);
    if (!bytes) throw new Error('PLUGHUB_SECRET_KEY is not a 32-byte key');
    return { key: secretKey(bytes), source: 'environment' };
  }
  if (config.keyDir === null) return { key: secretKey(randomBytes(32)), source: 'process' };
  const file = join(config.keyDir, SECRET_KEY_FILE);
  if (existsSync(file)) {
    const bytes = decodeSecretKey(readFileSync(file, 'utf8').trim());
    if (!bytes) throw new Error(`${file} does not hold a 32-byte key`);
    return { key: secretKey(bytes), source: 'key_file' };
  }
  mkdirSync(config.keyDir, { recursive: true });
  const bytes = randomBytes(32);
  // `wx`: two processes starting at once never overwrite each other's key.
  writeFileSync(file, bytes.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key: secretKey(bytes), source: 'generated_file' };
}
