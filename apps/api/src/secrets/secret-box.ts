import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** One AES-256 key and the id ciphertexts name it by. */
export interface SecretKey {
  /** 16 hex digits derived from the key (never the key itself): which key sealed a value. */
  id: string;
  key: Buffer;
}

/** A sealed value that cannot be opened: malformed, sealed by an unknown key, for another context, or tampered. */
export class SecretUnreadableError extends Error {
  constructor(readonly reason: 'malformed' | 'unknown_key' | 'tampered') {
    super(`the secret cannot be decrypted (${reason})`);
    this.name = 'SecretUnreadableError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]*$/;

/** The id of a key: a hash of it, so ciphertexts name their key without revealing anything about it. */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update('plughub-secret-key-id\0').update(key).digest('hex').slice(0, 16);
}

export function secretKey(key: Buffer): SecretKey {
  if (key.length !== 32) throw new Error('a secret key has 32 bytes');
  return { id: secretKeyId(key), key };
}

/**
 * Encrypts setting values at rest: AES-256-GCM with a random 96-bit IV per value, and the value's context (which
 * installation, which setting) bound in as additional data, so a ciphertext copied onto another installation or
 * setting does not open. The format names its version and key:
 *
 *   v1.<key id>.<iv>.<ciphertext>.<tag>        (base64url parts)
 *
 * so a rotation (`npm run secrets:rotate`, the configuration module's) can add a new current key, keep the old
 * ones to open what they sealed, and re-seal value by value with no migration: `isCurrent` says which still need
 * it. Values are JSON; nothing here logs or returns a plaintext except `open`'s result.
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private current: SecretKey;

  constructor(current: SecretKey, previous: readonly SecretKey[] = []) {
    this.current = current;
    this.keys = new Map([...previous, current].map((k) => [k.id, k.key]));
  }

  /** Seals with `next` from now on (a rotation); every key known so far still opens what it sealed. */
  adopt(next: SecretKey): void {
    this.keys.set(next.id, next.key);
    this.current = next;
  }

  /** The id of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  seal(value: unknown, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(this.current.id, context));
    const plain = Buffer.from(JSON.stringify(value ?? null), 'utf8');
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return [VERSION, this.current.id, b64(iv), b64(sealed), b64(cipher.getAuthTag())].join('.');
  }

  /** The value sealed for `context`; SecretUnreadableError when it cannot be (the reason says why, never the value). */
  open(sealed: string, context: string): unknown {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts.length !== 5 || parts[0] !== VERSION || !parts.every((p) => PART.test(p))) {
      throw new SecretUnreadableError('malformed');
    }
    const [, id, iv, data, tag] = parts;
    const key = this.keys.get(id);
    if (!key) throw new SecretUnreadableError('unknown_key');
    const ivBytes = unb64(iv);
    const tagBytes = unb64(tag);
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new SecretUnreadableError('malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(id, context));
      decipher.setAuthTag(tagBytes);
      const plain = Buffer.concat([decipher.update(unb64(data)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as unknown;
    } catch {
      throw new SecretUnreadableError('tampered');
    }
  }

  /** The key id a sealed value names, or null when it is not one of ours. */
  keyIdOf(sealed: string): string | null {
    const parts = sealed.split('.');
    return parts.length === 5 && parts[0] === VERSION ? parts[1] : null;
  }

  /** Whether a sealed value uses the current key (a rotation re-seals the others). */
  isCurrent(sealed: string): boolean {
    return this.keyIdOf(sealed) === this.current.id;
  }
}

const additionalData = (keyId: string, context: string) =>
  Buffer.from(`plughub:${VERSION}:${keyId}:${context}`, 'utf8');
const b64 = (bytes: Buffer) => bytes.toString('base64url');
const unb64 = (text: string) => Buffer.from(text, 'base64url');
