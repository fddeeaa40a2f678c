import { MongoCommandError } from './errors.js';
import { cloneDoc, idFirst, isPlainObject, type Doc } from './paths.js';

/**
 * Plain inclusion/exclusion projections built straight from the stored document: only what the projection keeps
 * is copied (a find of two fields out of a 50 KB document copies two fields, not the document). Anything else
 * (expressions, `$slice`, `$elemMatch`, `$meta`, positional `.$`, `_id` sub-paths, paths that collide, a mix of
 * inclusion and exclusion: each either an error or a rarer form) is left to the general path (mingo over a copy).
 */

type ProjectionKind = 'inclusion' | 'exclusion';

/** Operators a field may hold in a projection of either kind. */
const NEUTRAL_OPERATORS = new Set(['$slice', '$elemMatch', '$meta']);

/**
 * Checks that a projection is of one kind, as mongod parses it (whatever the documents): a 0/false field in an
 * inclusion projection is 31254, a 1/true field, a literal or an expression in an exclusion projection 31253.
 * `_id` may be kept or excluded in either; `$slice`, `$elemMatch` and `$meta` belong to both; sub-documents are walked.
 */
export function checkProjection(projection: Doc): void {
  let kind: ProjectionKind | undefined;
  const visit = (spec: Doc, prefix: string): void => {
    for (const [key, value] of Object.entries(spec)) {
      const path = prefix + key;
      let here: ProjectionKind | undefined;
      if (typeof value === 'boolean' || typeof value === 'number') here = value ? 'inclusion' : 'exclusion';
      else if (isPlainObject(value)) {
        const [first] = Object.keys(value);
        if (first === undefined || !first.startsWith('$')) {
          visit(value, `${path}.`);
          continue;
        }
        if (!NEUTRAL_OPERATORS.has(first)) here = 'inclusion';
      } else here = 'inclusion';
      if (here === undefined || path === '_id') continue;
      if (kind === undefined) kind = here;
      else if (kind !== here)
        throw new MongoCommandError(
          kind === 'inclusion' ? 31254 : 31253,
          `Cannot do ${here === 'exclusion' ? 'exclusion' : 'inclusion'} on field ${path} in ${kind} projection`,
        );
    }
  };
  visit(projection, '');
}

/**
 * The field order mongod gives an inclusion projection's result (mingo sorts the fields by name): `_id`, the kept
 * fields in the stored document's order, then the computed ones in the projection's order.
 */
export function orderProjected(out: Doc, input: Doc, projection: Doc): Doc {
  const computed: string[] = [];
  let inclusion = false;
  for (const [key, value] of Object.entries(projection)) {
    if (key === '_id') continue;
    if (typeof value === 'number' || typeof value === 'boolean') {
      inclusion ||= Boolean(value);
      continue;
    }
    inclusion = true;
    const first = isPlainObject(value) ? Object.keys(value)[0] : undefined;
    // A sub-projection, `$slice`/`$elemMatch`/`$meta` or a dotted path keeps a stored field; the rest compute one.
    const kept = first !== undefined && (!first.startsWith('$') || NEUTRAL_OPERATORS.has(first));
    if (!kept && !key.includes('.')) computed.push(key);
  }
  if (!inclusion) return out;
  const ordered: Doc = {};
  if ('_id' in out) ordered._id = out._id;
  for (const key of Object.keys(input)) if (key in out && !computed.includes(key)) ordered[key] = out[key];
  for (const key of [...computed, ...Object.keys(out)]) if (key in out && !(key in ordered)) ordered[key] = out[key];
  return ordered;
}

/** A projection's fields as a tree of path segments; `true` keeps or drops the whole value there. */
type PathTree = Map<string, PathTree | true>;

export type Projector = (doc: Doc) => Doc;

/** The projector for a plain projection, or undefined when the general path must answer it. */
export function compileProjection(projection: Doc): Projector | undefined {
  const keys = Object.keys(projection);
  if (keys.length === 0) return undefined;
  let include: boolean | undefined;
  let keepId = true;
  const tree: PathTree = new Map();
  for (const key of keys) {
    const flag = projectionFlag(projection[key]);
    if (flag === undefined || !plainPath(key)) return undefined;
    if (key === '_id') {
      keepId = flag;
      continue;
    }
    if (include === undefined) include = flag;
    else if (include !== flag) return undefined;
    if (!addPath(tree, key.split('.'))) return undefined;
  }
  if (include === undefined) include = keepId; // only `_id` given: `{_id: 1}` keeps it alone, `{_id: 0}` drops it
  if (include) {
    if (keepId) tree.set('_id', true);
    return (doc) => idFirst(included(doc, tree));
  }
  if (!keepId) tree.set('_id', true);
  return (doc) => excluded(doc, tree);
}

/** 1/true includes, 0/false excludes (any non-zero number includes, as in mongod); other values are not plain. */
function projectionFlag(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && !Number.isNaN(v)) return v !== 0;
  return undefined;
}

function plainPath(key: string): boolean {
  if (key.startsWith('_id.')) return false;
  return key.split('.').every((part) => part.length > 0 && !part.startsWith('$'));
}

/** Adds a path; false when it collides with one already there (a prefix of it, or it a prefix of another). */
function addPath(tree: PathTree, parts: string[]): boolean {
  let node = tree;
  for (let i = 0; i < parts.length; i++) {
    const existing = node.get(parts[i]);
    if (existing === true) return false;
    if (i === parts.length - 1) {
      if (existing) return false;
      node.set(parts[i], true);
      return true;
    }
    const next: PathTree = existing ?? new Map<string, PathTree | true>();
    node.set(parts[i], next);
    node = next;
  }
  return true;
}

/** Inclusion: the kept fields in document order; sub-paths descend into documents and arrays of documents. */
function included(doc: Doc, tree: PathTree): Doc {
  const out: Doc = {};
  for (const key of Object.keys(doc)) {
    const sub = tree.get(key);
    if (sub === undefined) continue;
    const value = doc[key];
    if (sub === true) out[key] = cloneDoc(value);
    else if (isPlainObject(value)) out[key] = included(value, sub);
    else if (Array.isArray(value)) out[key] = includedInArray(value, sub);
  }
  return out;
}

/**
 * Elements that are neither documents nor arrays have none of the sub-paths and drop out; arrays inside arrays are
 * descended into (mongod's find and aggregate projections both recurse into nested arrays).
 */
function includedInArray(values: unknown[], tree: PathTree): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (isPlainObject(v)) out.push(included(v, tree));
    else if (Array.isArray(v)) out.push(includedInArray(v, tree));
  }
  return out;
}

/** Exclusion: everything but the named paths, in document order; values without the sub-path stay as they are. */
function excluded(doc: Doc, tree: PathTree): Doc {
  const out: Doc = {};
  for (const key of Object.keys(doc)) {
    const sub = tree.get(key);
    const value = doc[key];
    if (sub === undefined) out[key] = cloneDoc(value);
    else if (sub !== true) out[key] = excludedFrom(value, sub);
  }
  return out;
}

function excludedFrom(value: unknown, tree: PathTree): unknown {
  if (isPlainObject(value)) return excluded(value, tree);
  if (Array.isArray(value)) return value.map((v) => excludedFrom(v, tree));
  return cloneDoc(value);
}
