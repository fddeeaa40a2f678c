import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { normalizeManifest, validateManifest, type PluginManifest } from '@app/plugin-sdk';
import { RuntimeError } from './runtime-error.js';

export interface PluginDirectory {
  manifest: PluginManifest;
  /** Runner source for sandbox plugins. */
  code?: string;
  readme?: string;
  icon?: string;
}

/**
 * Reads a plugin folder (`manifest.json`, the runner named by `runtime.entry` or `main`, optional README.md and icon), as
 * shipped in `plugins/`. The manifest is validated; every violation is listed in the error message.
 */
export async function readPluginDirectory(dir: string): Promise<PluginDirectory> {
  const root = resolve(dir);
  const inside = (file: string) => {
    const path = resolve(root, file);
    if (!path.startsWith(root + sep)) throw new RuntimeError('INVALID_ARGUMENT', `${file} is outside ${dir}`);
    return path;
  };
  const optional = (file: string) => readFile(inside(file), 'utf8').catch(() => undefined);

  const raw = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8')) as unknown;
  const result = validateManifest(raw);
  if (!result.valid) {
    const details = result.errors.map((e) => `${e.path || '(manifest)'}: ${e.message}`).join('; ');
    throw new RuntimeError('INVALID_ARGUMENT', `invalid manifest in ${dir}: ${details}`);
  }
  const { manifest } = result;
  const { runtime } = normalizeManifest(manifest);
  const code = runtime.type === 'sandbox' ? await readFile(inside(runtime.entry), 'utf8') : undefined;
  return {
    manifest,
    code,
    readme: await optional('README.md'),
    icon: manifest.icon ? await optional(manifest.icon) : undefined,
  };
}
