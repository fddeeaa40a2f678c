import { createHash, randomBytes } from 'node:crypto';

export const API_TOKEN_PREFIX = 'phk_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A fresh key: the prefix and 32 random bytes, base64url. */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashApiKey(key), prefix: key.slice(0, API_TOKEN_PREFIX.length + 6) };
}
