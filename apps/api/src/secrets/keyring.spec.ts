import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKeyring, NEXT_KEY_FILE, nextKey, PREVIOUS_KEYS_FILE, promoteNextKey } from './keyring.js';
import { SecretBox } from './secret-box.js';
import { SECRET_KEY_FILE } from './secret-key.js';

describe('the key files of a rotation', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyring-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an interrupted rotation keeps its next key; promoting it retires the old one, and repeats harmlessly', () => {
    const config = { key: null, keyDir: dir };
    const first = loadKeyring(config);
    expect(first.source).toBe('generated_file');
    expect(first.others).toEqual([]);
    const sealed = new SecretBox(first.current).seal('kept', 'ctx');

    const next = nextKey(config, null);
    expect(statSync(join(dir, NEXT_KEY_FILE)).mode & 0o777).toBe(0o600);
    // A second run after an interruption re-seals under the same key, and the server knows it meanwhile.
    expect(nextKey(config, null).id).toBe(next.id);
    expect(loadKeyring(config).others.map((k) => k.id)).toEqual([next.id]);

    promoteNextKey(config, first.current);
    promoteNextKey(config, first.current);
    expect(existsSync(join(dir, NEXT_KEY_FILE))).toBe(false);
    expect(readFileSync(join(dir, PREVIOUS_KEYS_FILE), 'utf8').trim().split('\n')).toHaveLength(1);
    const after = loadKeyring(config);
    expect(after.current.id).toBe(next.id);
    expect(after.others.map((k) => k.id)).toEqual([first.current.id]);
    expect(new SecretBox(after.current, after.others).open(sealed, 'ctx')).toBe('kept');
    expect(existsSync(join(dir, SECRET_KEY_FILE))).toBe(true);
  });

  it('with PLUGHUB_SECRET_KEY the new key must be given, and is not written anywhere', () => {
    const config = { key: randomBytes(32).toString('hex'), keyDir: dir };
    expect(() => nextKey(config, null)).toThrow();
    const given = randomBytes(32);
    expect(nextKey(config, given.toString('base64')).key.equals(given)).toBe(true);
    expect(() => nextKey(config, 'short')).toThrow();
    promoteNextKey(config, loadKeyring(config).current);
    expect(existsSync(join(dir, NEXT_KEY_FILE))).toBe(false);
    expect(existsSync(join(dir, PREVIOUS_KEYS_FILE))).toBe(false);
  });
});
