import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The repository root (where package.json lives), whether running from source or from dist/. */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'openapi'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the Plughub project root');
    dir = parent;
  }
  root = dir;
  return root;
}

export const projectFile = (...parts: string[]) => join(projectRoot(), ...parts);
