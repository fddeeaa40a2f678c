import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildArtifact, digestOf, manifestBytes, packagePath, type PackageFile, unpackArtifact } from './artifact.js';
import { FILE_ROLES } from './registry.entity.js';

const files = (runner: Buffer, icon: Buffer): PackageFile[] => [
  { role: 'manifest', path: 'manifest.json', content: manifestBytes({ key: 'a.b', version: '1.0.0' }) },
  { role: 'runner', path: 'runner.js', content: runner },
  { role: 'icon', path: 'assets/icon.png', content: icon },
];

describe('artifact', () => {
  it('is deterministic: the same input gives the same bytes and digest', async () => {
    const a = await buildArtifact(files(Buffer.from('exports.x = 1;\n'), Buffer.from([0, 255, 1, 254])));
    const b = await buildArtifact(files(Buffer.from('exports.x = 1;\n'), Buffer.from([0, 255, 1, 254])));
    expect(a.equals(b)).toBe(true);
    expect(digestOf(a)).toEqual(digestOf(b));
    const c = await buildArtifact(files(Buffer.from('exports.x = 2;\n'), Buffer.from([0, 255, 1, 254])));
    expect(digestOf(c).integrity).not.toBe(digestOf(a).integrity);
  });

  it('digest has sha256 hex and an SRI sha512', () => {
    const d = digestOf(Buffer.from('abc'));
    expect(d.size).toBe(3);
    expect(d.checksum).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(d.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });

  it('round-trips any file bytes exactly, including long paths (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 1500 }),
        fc.stringMatching(/^[a-z0-9]{1,40}(\/[a-z0-9]{1,40}){0,3}\.js$/),
        async (runner, icon, path) => {
          const input: PackageFile[] = [
            { role: 'manifest', path: 'manifest.json', content: Buffer.from('{}\n') },
            { role: 'runner', path, content: Buffer.from(runner) },
            { role: 'icon', path: 'icon.bin', content: Buffer.from(icon) },
          ];
          const out = unpackArtifact(await buildArtifact(input));
          expect([...out.keys()]).toEqual(['manifest.json', path, 'icon.bin']);
          expect(out.get(path)!.equals(Buffer.from(runner))).toBe(true);
          expect(out.get('icon.bin')!.equals(Buffer.from(icon))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('places files where the manifest points', () => {
    const m = { runtime: { type: 'sandbox', entry: 'dist/main.js' }, icon: 'img/logo.svg' };
    expect(FILE_ROLES.map((r) => packagePath(r, m))).toEqual([
      'dist/main.js',
      'README.md',
      'img/logo.svg',
      'shape.json',
    ]);
    expect(packagePath('runner', { runtime: { type: 'remote' } })).toBe('runner.js');
    expect(packagePath('icon', {})).toBe('icon');
  });
});
