import { ObjectId } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPipeline, runPipeline } from './aggregate.js';
import { isPlainObject, type Doc } from './paths.js';
import { checkProjection, compileProjection } from './projection.js';
import { projectDocs, projectThroughMingo } from './write-commands.js';

/** Field names from a small alphabet, so random projections hit random documents' fields and sub-fields often. */
const name = fc.constantFrom('a', 'b', 'c', 'd');

const leaf = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(new ObjectId('64b000000000000000000001')),
  fc.constant(new Date(0)),
);

/**
 * Values with arrays of leaves and documents, but no array directly inside an array: there mingo's exclusion keeps
 * the inner array whole where mongod descends into it (checked on its own below).
 */
const value = fc.letrec<{ v: unknown; element: unknown; doc: Doc }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, tie('doc'), fc.array(tie('element'), { maxLength: 3 })),
  element: fc.oneof({ depthSize: 'small' }, leaf, tie('doc')),
  doc: fc.dictionary(name, tie('v'), { maxKeys: 4 }),
})).v;

const storedDoc = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), fc.dictionary(name, value, { maxKeys: 4 }))
  .map(([id, rest]): Doc => ({ _id: id, ...rest }));

const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const flag = fc.oneof(fc.constantFrom(0, 1, true, false), fc.integer({ min: -3, max: 3 }));

/** Random projections: mostly plain ones (some mixing, colliding or `_id`-only), compared on every answer. */
const projection = fc
  .tuple(fc.dictionary(path, flag, { minKeys: 0, maxKeys: 4 }), fc.option(fc.constantFrom(0, 1), { nil: undefined }))
  .map(([fields, id]): Doc => (id === undefined ? fields : { ...fields, _id: id }))
  .filter((p) => Object.keys(p).length > 0);

function answer(run: () => Doc[]): { docs: Doc[] } | { error: true; crash: boolean } {
  try {
    return { docs: run() };
  } catch (err) {
    // mingo's exclusion throws a TypeError on `null` inside an array under a deeper path (mongod keeps the null).
    return { error: true, crash: err instanceof Error && err.message.startsWith('Cannot read properties of') };
  }
}

describe('projection built from the stored document', () => {
  it('answers exactly as the general path (mingo over a whole copy) for random documents and projections', () => {
    fc.assert(
      fc.property(fc.array(storedDoc, { maxLength: 4 }), projection, (docs, p) => {
        // mingo refuses `_id: 1` beside exclusions, which mongod allows (checked against the driver suite below).
        fc.pre(!(p._id === 1 && Object.entries(p).some(([k, v]) => k !== '_id' && !v)));
        const fast = answer(() => projectDocs(docs, p));
        const general = answer(() => projectThroughMingo(docs, p));
        fc.pre(!('crash' in general && general.crash));
        // Same values (toEqual ignores field order: mingo orders included fields as the projection lists them,
        // mongod as the document does, which the driver suite checks against a real server).
        expect(fast).toEqual(general);
        if ('docs' in fast) fast.docs.forEach((d, i) => expectDocumentOrder(d, docs[i]));
      }),
      { numRuns: 1000 },
    );
  });

  it("answers as aggregation's $project through mingo, for random documents and projections", () => {
    fc.assert(
      fc.property(fc.array(storedDoc, { maxLength: 4 }), projection, (docs, p) => {
        fc.pre(!(p._id === 1 && Object.entries(p).some(([k, v]) => k !== '_id' && !v)));
        const project = compileProjection(p);
        fc.pre(project !== undefined);
        const general = answer(() => runPipeline(docs, [{ $project: p }], () => []));
        fc.pre(!('crash' in general && general.crash));
        expect({ docs: docs.map(project) }).toEqual(general);
      }),
      { numRuns: 500 },
    );
  });

  it('never shares a container with the stored document', () => {
    fc.assert(
      fc.property(storedDoc, projection, (doc, p) => {
        const project = compileProjection(p);
        if (!project) return;
        const before = structuredClone(doc);
        const out = project(doc);
        scribble(out);
        expect(doc).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });

  it('takes the plain forms and leaves the others to the general path', () => {
    for (const p of [{ a: 1 }, { a: 0 }, { 'a.b': 1, c: true }, { _id: 0 }, { _id: 1 }, { _id: 0, 'a.b': 0 }])
      expect(compileProjection(p)).toBeTypeOf('function');
    for (const p of [
      {},
      { a: 1, b: 0 },
      { a: 1, 'a.b': 1 },
      { 'a.$': 1 },
      { a: { $slice: 2 } },
      { a: { $elemMatch: { b: 1 } } },
      { a: '$b' },
      { '_id.x': 1 },
      { 'a..b': 1 },
      { $a: 1 },
    ])
      expect(compileProjection(p)).toBeUndefined();
  });

  it('descends into arrays inside arrays and keeps _id: 1 beside exclusions, as mongod', () => {
    const doc: Doc = { _id: 1, a: [[{ b: 1, c: 2 }, 3], { b: 4 }], d: 5 };
    expect(projectDocs([doc], { 'a.b': 1 })).toEqual([{ _id: 1, a: [[{ b: 1 }], { b: 4 }] }]);
    expect(projectDocs([doc], { 'a.b': 0 })).toEqual([{ _id: 1, a: [[{ c: 2 }, 3], {}], d: 5 }]);
    expect(projectDocs([doc], { d: 0, _id: 1 })).toEqual([{ _id: 1, a: doc.a }]);
    expect(projectDocs([{ _id: 3, d: [null, 5] }], { 'd.a.a': 0 })).toEqual([{ _id: 3, d: [null, 5] }]);
    expect(projectDocs([{ _id: 2, d: 1, c: 2, a: 3 }], { a: 1, d: 1 })).toEqual([{ _id: 2, d: 1, a: 3 }]);
    expect(Object.keys(projectDocs([{ _id: 2, d: 1, c: 2, a: 3 }], { a: 1, d: 1 })[0])).toEqual(['_id', 'd', 'a']);
  });

  it('copies only the projected fields of a large document', () => {
    const big: Doc = { _id: 1, title: 't', n: 2 };
    for (let i = 0; i < 200; i++) big[`f${i}`] = { nested: [i, { deep: 'x'.repeat(100) }] };
    const out = compileProjection({ title: 1, n: 1 })!(big);
    expect(out).toEqual({ _id: 1, title: 't', n: 2 });
  });
});

/** Every document of the answer lists its fields in the stored document's order. */
function expectDocumentOrder(out: unknown, stored: unknown): void {
  if (Array.isArray(out) && Array.isArray(stored)) {
    const docs = stored.filter((v) => Array.isArray(v) || isPlainObject(v));
    out.forEach((v, i) => expectDocumentOrder(v, out.length === stored.length ? stored[i] : docs[i]));
    return;
  }
  if (!isPlainObject(out)) return;
  const storedDoc = stored as Doc;
  expect(Object.keys(out)).toEqual(Object.keys(storedDoc).filter((k) => k in out));
  for (const k of Object.keys(out)) expectDocumentOrder(out[k], storedDoc[k]);
}

/** Writes into every container of a projected answer (what a later stage or the reply could do). */
function scribble(v: unknown): void {
  if (Array.isArray(v)) {
    v.forEach(scribble);
    v.push('scribbled');
  } else if (isPlainObject(v)) {
    for (const k of Object.keys(v)) scribble(v[k]);
    v.scribbled = true;
  }
}

describe('projection kinds', () => {
  const code = (p: Doc, docs: Doc[] = []): number | undefined => {
    try {
      projectDocs(docs, p);
    } catch (err) {
      return (err as { code?: number }).code;
    }
    return undefined;
  };

  it('refuses a projection of both kinds with the code naming the field that breaks it, with or without documents', () => {
    expect(code({ title: 1, body: 0 })).toBe(31254);
    expect(code({ body: false, title: true }, [{ _id: 1, title: 't', body: 'b' }])).toBe(31253);
    expect(code({ 'meta.views': 0, label: 'fixed' })).toBe(31253);
    expect(code({ meta: { views: 1, likes: 0 } })).toBe(31254);
    expect(code({ total: { $add: ['$a', 1] }, body: 0 })).toBe(31254);
    expect(() => checkPipeline([{ $match: {} }, { $project: { title: 1, body: 0 } }])).toThrow(
      expect.objectContaining({ code: 31254 }) as Error,
    );
  });

  it('takes _id of either kind, and $slice / $elemMatch beside both', () => {
    for (const p of [
      { _id: 0, title: 1 },
      { _id: 1, body: 0 },
      { items: { $slice: 2 }, body: 0 },
      { items: { $elemMatch: { k: 1 } }, title: 1 },
      { 'items.$': 1, title: 1 },
    ])
      expect(() => checkProjection(p)).not.toThrow();
  });
});

describe('projection field order', () => {
  const stored: Doc = { _id: 7, title: 't', views: 3, meta: { b: 1, a: 2 }, tags: ['x', 'y', 'z'] };
  const keys = (d: Doc | undefined): string[] => Object.keys(d ?? {});
  const viaProject = (p: Doc): Doc | undefined => runPipeline([stored], [{ $skip: 0 }, { $project: p }], () => [])[0];

  it('keeps stored fields in the document’s order and appends computed ones in the projection’s order', () => {
    const p = { tags: { $slice: 1 }, later: { $add: ['$views', 1] }, views: 1, early: 'lit', title: 1 };
    expect(keys(viaProject(p))).toEqual(['_id', 'title', 'views', 'tags', 'later', 'early']);
    expect(keys(projectThroughMingo([stored], p)[0])).toEqual(['_id', 'title', 'views', 'tags', 'later', 'early']);
    expect(keys(viaProject({ _id: 0, 'meta.a': 1, views: 1 }))).toEqual(['views', 'meta']);
  });

  it('leaves an exclusion projection in the document’s order', () => {
    expect(keys(viaProject({ views: 0, title: 0 }))).toEqual(['_id', 'meta', 'tags']);
  });
});
