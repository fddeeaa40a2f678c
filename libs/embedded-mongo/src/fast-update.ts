import { cloneDoc, isPlainObject, type Doc } from './paths.js';

/**
 * `$set`, `$inc` and `$unset` on plain paths, applied natively: the commonest updates (a status, a counter, a
 * timestamp) without mingo's updater, which registers its operator tables again on every call (most of an
 * update's CPU in profiles). A plain path is made of field names (no `$`, no array index, not `__proto__`) that
 * reach only plain objects or nothing before its last field; no path of the update is another one's prefix. Any
 * other shape, operator or operand is left to the general path, untouched.
 */

const NATIVE_OPERATORS = new Set(['$set', '$inc', '$unset']);
const PLAIN_FIELD = /^(?!\$)(?!\d+$)(?!__proto__$)[^.]+$/;

/** Applies `modifier` to `doc` in place and answers true, or answers false (doc untouched) when it cannot. */
export function modifyNatively(doc: Doc, modifier: Doc): boolean {
  const steps: { op: string; parts: string[]; value: unknown }[] = [];
  const paths: string[] = [];
  for (const [op, fields] of Object.entries(modifier)) {
    if (!NATIVE_OPERATORS.has(op) || !isPlainObject(fields)) return false;
    for (const [path, value] of Object.entries(fields)) {
      const parts = path.split('.');
      if (!parts.every((p) => PLAIN_FIELD.test(p)) || !reachable(doc, parts)) return false;
      if (op === '$inc' && (typeof value !== 'number' || !numberOrMissing(doc, parts))) return false;
      steps.push({ op, parts, value });
      paths.push(path);
    }
  }
  if (overlapping(paths)) return false;
  for (const { op, parts, value } of steps) {
    const last = parts[parts.length - 1];
    if (op === '$unset') {
      const parent = walk(doc, parts, false);
      if (parent && Object.hasOwn(parent, last)) delete parent[last];
      continue;
    }
    const parent = walk(doc, parts, true)!;
    if (op === '$set') parent[last] = cloneDoc(value);
    else parent[last] = ((Object.hasOwn(parent, last) ? parent[last] : 0) as number) + (value as number);
  }
  return true;
}

/** Every field before the last is a plain object or missing (then nothing below it exists). */
function reachable(doc: Doc, parts: string[]): boolean {
  let cur: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!Object.hasOwn(cur, parts[i])) return true;
    const next = cur[parts[i]];
    if (!isPlainObject(next)) return false;
    cur = next;
  }
  return true;
}

function numberOrMissing(doc: Doc, parts: string[]): boolean {
  const parent = walk(doc, parts, false);
  const last = parts[parts.length - 1];
  return !parent || !Object.hasOwn(parent, last) || typeof parent[last] === 'number';
}

/** The object holding the path's last field; created along the way when `create`, else undefined when missing. */
function walk(doc: Doc, parts: string[], create: boolean): Doc | undefined {
  let cur: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!Object.hasOwn(cur, parts[i])) {
      if (!create) return undefined;
      cur[parts[i]] = {};
    }
    cur = cur[parts[i]] as Doc;
  }
  return cur;
}

/** Two paths the same, or one a prefix of the other (mongod's conflicting updates, raised by the general path). */
function overlapping(paths: string[]): boolean {
  return new Set(paths).size !== paths.length || paths.some((a) => paths.some((b) => b.startsWith(`${a}.`)));
}
