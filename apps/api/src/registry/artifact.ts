import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import type { FileRole } from './registry.entity.js';

const gzipAsync = promisify(gzip);

export interface PackageFile {
  role: FileRole | 'manifest';
  /** Path inside the package, below `package/`. */
  path: string;
  content: Buffer;
}

export interface Digest {
  size: number;
  /** sha256, lower-case hex. */
  checksum: string;
  /** Subresource Integrity string: `sha512-<base64>`. */
  integrity: string;
}

/** Fixed metadata so identical input always gives identical bytes (npm uses the same date). */
const FIXED_MTIME = 499162500; // 1985-10-26T08:15:00Z
const BLOCK = 512;

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function digestOf(bytes: Buffer): Digest {
  return {
    size: bytes.length,
    checksum: sha256Hex(bytes),
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
  };
}

/** Where each file lands in the package, given the manifest's own references. */
export function packagePath(role: FileRole, manifest: Record<string, unknown>): string {
  const runtime = (manifest.runtime ?? {}) as { type?: unknown; entry?: unknown };
  switch (role) {
    case 'runner':
      // `main` is the sandbox entry of a manifest without `runtime` (seed 002's format).
      if (runtime.type === 'sandbox' && typeof runtime.entry === 'string') return runtime.entry;
      return manifest.runtime === undefined && typeof manifest.main === 'string' ? manifest.main : 'runner.js';
    case 'readme':
      return 'README.md';
    case 'icon':
      return typeof manifest.icon === 'string' ? manifest.icon : 'icon';
    case 'shape':
      return 'shape.json';
  }
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const full = Buffer.from(name, 'utf8');
  // ustar splits long names into prefix (155) + name (100) at a slash.
  let prefix = '';
  let base = name;
  if (full.length > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`path too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(FIXED_MTIME, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/**
 * The downloadable artifact: a gzip'd ustar archive with `package/manifest.json` first, then the files in
 * role order. Mode 0644, uid/gid 0, a fixed mtime and gzip without a timestamp: the same manifest and files
 * always give the same bytes, so size, checksum and integrity are reproducible. Compression runs on
 * the thread pool: level 9 over a 5 MB upload would hold the event loop for a fifth of a second.
 */
export async function buildArtifact(files: PackageFile[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(header(`package/${file.path}`, file.content.length), file.content);
    const pad = (BLOCK - (file.content.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return gzipAsync(Buffer.concat(parts), { level: 9 });
}

/**
 * Reads an artifact back into its files (path below `package/` → bytes). `maxTarBytes` bounds the unpacked size
 * for artifacts from elsewhere (gunzip throws a RangeError beyond it).
 */
export function unpackArtifact(artifact: Buffer, maxTarBytes?: number): Map<string, Buffer> {
  const tar = gunzipSync(artifact, maxTarBytes === undefined ? {} : { maxOutputLength: maxTarBytes });
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const str = (from: number, len: number) =>
      h
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = str(0, 100);
    const prefix = str(345, 155);
    const size = parseInt(str(124, 12).trim(), 8);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/^package\//, '');
    out.set(path, Buffer.from(tar.subarray(at + BLOCK, at + BLOCK + size)));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

/** The manifest as stored in the package: the submitted JSON, two-space indented, with a final newline. */
export function manifestBytes(manifest: unknown): Buffer {
  return Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
}
