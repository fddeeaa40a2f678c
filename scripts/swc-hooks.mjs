/**
 * Module hooks (registered by swc-register.mjs) that let node run the TypeScript sources the way vitest runs them:
 * each .ts file compiled by SWC with legacy decorators and decorator metadata (Nest's DI needs the metadata,
 * which esbuild and so tsx do not emit), the tsconfig path aliases (`@app/<lib>` → libs/<lib>/src) resolved, and
 * `./x.js` imports of sources served by `./x.ts`. Only files of this repository outside node_modules are touched.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from '@swc/core';

const ROOT = new URL('../', import.meta.url);
const LIBS = new Set(['common', 'database', 'embedded-mongo', 'runtime', 'plugin-sdk', 'client']);

/** @param {string} href */
const ours = (href) => href.startsWith(ROOT.href) && !href.includes('/node_modules/');

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: { parentURL?: string }) => Promise<{ url: string }>} next
 */
export async function resolve(specifier, context, next) {
  const alias = /^@app\/([a-z-]+)(\/.*)?$/.exec(specifier);
  let url = null;
  if (alias && LIBS.has(alias[1])) {
    url = new URL(`libs/${alias[1]}/src${alias[2] ?? '/index.ts'}`, ROOT);
  } else if (
    (specifier.startsWith('.') || specifier.startsWith('file:')) &&
    context.parentURL &&
    ours(context.parentURL)
  ) {
    url = new URL(specifier, context.parentURL);
  }
  if (url && ours(url.href)) {
    if (url.pathname.endsWith('.js') && !existsSync(url)) {
      const ts = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(ts)) url = ts;
    }
    if (url.pathname.endsWith('.ts')) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

/**
 * @param {string} url
 * @param {{ format?: string }} context
 * @param {(url: string, context: { format?: string }) => Promise<{ format: string; source: string | Buffer }>} next
 */
export async function load(url, context, next) {
  if (!url.endsWith('.ts') || !ours(url)) return next(url, context);
  const filename = fileURLToPath(url);
  const { code } = await transform(await readFile(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'es6' },
    jsc: {
      target: 'es2023',
      keepClassNames: true,
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
