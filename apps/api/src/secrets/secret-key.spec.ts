import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';
import { loadSecretKey, SECRET_KEY_FILE } from './secret-key.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'plughub-secret-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadSecretKey', () => {
  it('uses PLUGHUB_SECRET_KEY when it is set, and writes nothing', () => {
    const dir = tempDir();
    const hex = '0f'.repeat(32);
    const { key, source } = loadSecretKey({ key: hex, keyDir: dir });
    expect(source).toBe('environment');
    expect(key.key).toEqual(Buffer.from(hex, 'hex'));
    expect(() => statSync(join(dir, SECRET_KEY_FILE))).toThrow();
  });

  it('generates a key file with mode 0600 once, and reads the same key on the next start', () => {
    const dir = tempDir();
    const first = loadSecretKey({ key: null, keyDir: dir });
    expect(first.source).toBe('generated_file');
    expect(statSync(join(dir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
    const second = loadSecretKey({ key: null, keyDir: dir });
    expect(second.source).toBe('key_file');
    const sealed = new SecretBox(first.key).seal('kept', 'c');
    expect(new SecretBox(second.key).open(sealed, 'c')).toBe('kept');
  });

  it('refuses a key file that does not hold a key rather than making a new one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, SECRET_KEY_FILE), 'not a key\n');
    expect(() => loadSecretKey({ key: null, keyDir: dir })).toThrow(/32-byte/);
    expect(readFileSync(join(dir, SECRET_KEY_FILE), 'utf8')).toBe('not a key\n');
  });

  it('keeps a random per-process key with the in-memory database', () => {
    const a = loadSecretKey({ key: null, keyDir: null });
    const b = loadSecretKey({ key: null, keyDir: null });
    expect([a.source, b.source]).toEqual(['process', 'process']);
    expect(a.key.id).not.toBe(b.key.id);
  });
});
