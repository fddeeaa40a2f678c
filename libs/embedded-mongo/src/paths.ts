/** Dotted-path helpers over documents decoded from BSON. */

export type Doc = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Which arrays a path went through: `multikey` is set when one was expanded, and `arrayDepths` (when given)
 * receives each expanded array's depth, the number of path components that reached it (1 for `a` in `a.b`).
 */
export interface ArrayTrace {
  multikey: boolean;
  arrayDepths?: Set<number>;
}

/**
 * All values a path reaches, expanding arrays the way MongoDB's index key generator does
 * (each element of an array becomes its own key; an empty array contributes `undefined`).
 */
export function pathValues(doc: unknown, path: string, state?: ArrayTrace): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out, state ?? { multikey: false });
  if (out.length === 0) out.push(undefined);
  return out;
}

function collect(value: unknown, parts: string[], i: number, out: unknown[], state: ArrayTrace): void {
  if (i === parts.length) {
    if (Array.isArray(value)) {
      state.multikey = true;
      state.arrayDepths?.add(i);
      if (value.length === 0) out.push(undefined);
      else for (const v of value) out.push(v);
    } else {
      out.push(value);
    }
    return;
  }
  const part = parts[i];
  if (Array.isArray(value)) {
    if (/^\d+$/.test(part) && Number(part) < value.length) {
      collect(value[Number(part)], parts, i + 1, out, state);
      return;
    }
    state.multikey = true;
    state.arrayDepths?.add(i);
    for (const el of value) if (isPlainObject(el)) collect(el[part], parts, i + 1, out, state);
    return;
  }
  if (isPlainObject(value)) {
    collect(value[part], parts, i + 1, out, state);
    return;
  }
  out.push(undefined);
}

/** The single value at a path without array expansion (undefined when absent). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

/** Sets a dotted path, creating intermediate objects. */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next === null || typeof next !== 'object') cur[parts[i]] = {};
    cur = cur[parts[i]] as Doc;
  }
  cur[parts[parts.length - 1]] = value;
}

/**
 * Deep copy of a document's containers; BSON values (ObjectId, Date, Binary, …) are shared because the
 * engine never mutates them in place.
 */
export function cloneDoc<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneDoc) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = cloneDoc(v[k]);
    return out as T;
  }
  if (v instanceof Date) return new Date(v.getTime()) as T;
  return v;
}

/** MongoDB keeps `_id` as the first field of projected documents; mingo appends it last. */
export function idFirst(doc: Doc): Doc {
  if (!('_id' in doc)) return doc;
  const keys = Object.keys(doc);
  if (keys[0] === '_id') return doc;
  const out: Doc = { _id: doc._id };
  for (const k of keys) if (k !== '_id') out[k] = doc[k];
  return out;
}
