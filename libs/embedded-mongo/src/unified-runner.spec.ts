import { describe, expect, it } from 'vitest';
import { driverCannotRun, match, Mismatch, type MatchContext, type UnifiedTest } from './testing/unified-runner.js';

const ctx: MatchContext = {
  entity: (name) => {
    throw new Error(`no entity ${name}`);
  },
};

/** The runner's matching rules, checked on documents of our own (no specification file is kept here). */
describe('unified runner: match', () => {
  const statement = { q: { tag: 'p' }, u: [{ $set: { seen: true } }] };
  const sent = { update: 'things', updates: [{ ...statement, multi: true, upsert: false }], ordered: true };

  it('lets a driver add fields anywhere in an event command document', () => {
    expect(() => match({ update: 'things', updates: [statement] }, sent, ctx, 'command', true, true)).not.toThrow();
  });

  it('still refuses extra fields nested in a result or an outcome', () => {
    expect(() => match({ update: 'things', updates: [statement] }, sent, ctx, 'result', true)).toThrow(Mismatch);
    expect(() => match([{ _id: 1, n: { a: 1 } }], [{ _id: 1, n: { a: 1, b: 2 } }], ctx, 'outcome', false)).toThrow(
      Mismatch,
    );
  });

  it('compares the values it is given in an event command document', () => {
    expect(() => match({ updates: [{ ...statement, multi: false }] }, sent, ctx, 'command', true, true)).toThrow(
      Mismatch,
    );
    expect(() => match({ updates: [{ q: { tag: 'r' } }] }, sent, ctx, 'command', true, true)).toThrow(Mismatch);
  });

  it('keeps $$unsetOrMatches and $$exists inside lenient documents', () => {
    const expected = { updates: [{ multi: { $$unsetOrMatches: true }, hint: { $$exists: false } }] };
    expect(() => match(expected, sent, ctx, 'command', true, true)).not.toThrow();
    const absent = { updates: [{ collation: { $$exists: true } }] };
    expect(() => match(absent, sent, ctx, 'command', true, true)).toThrow(Mismatch);
  });
});

describe('unified runner: what the Node driver cannot run', () => {
  const test = (operations: object[], expectEvents?: object[]): UnifiedTest =>
    ({ description: 'own', operations, expectEvents }) as UnifiedTest;
  const update = (name: string, u: object, extra: object = {}) => ({
    name,
    object: 'c',
    arguments: { filter: { k: 1 }, update: u, ...extra },
  });

  it('names an update without operators, a model-level let and an expected $collStats', () => {
    expect(driverCannotRun(test([update('updateOne', { k: 2 })]))).toMatch(/update operators/);
    const bulk = {
      name: 'bulkWrite',
      object: 'c',
      arguments: { requests: [{ updateMany: { filter: {}, update: { v: 1 } } }] },
    };
    expect(driverCannotRun(test([bulk]))).toMatch(/update operators/);
    const modelLet = { updateOne: { filter: {}, update: { $set: { v: 1 } }, let: { x: 1 } } };
    expect(driverCannotRun(test([{ ...bulk, arguments: { requests: [modelLet] } }]))).toMatch(/let/);
    const counted = [
      { client: 'c0', events: [{ commandStartedEvent: { command: { pipeline: [{ $collStats: {} }] } } }] },
    ];
    expect(driverCannotRun(test([], counted))).toMatch(/count command/);
  });

  it('runs what the driver sends as written: operators, pipelines, replacements and a command-level let', () => {
    expect(driverCannotRun(test([update('updateMany', { $inc: { n: 1 } }, { let: { x: 1 } })]))).toBeUndefined();
    expect(driverCannotRun(test([update('updateOne', [{ $set: { n: 1 } }])]))).toBeUndefined();
    const replace = { name: 'replaceOne', object: 'c', arguments: { filter: {}, replacement: { v: 1 } } };
    const bulk = {
      name: 'bulkWrite',
      object: 'c',
      arguments: { requests: [{ replaceOne: { filter: {}, replacement: { v: 1 } } }] },
    };
    expect(driverCannotRun(test([replace, bulk]))).toBeUndefined();
  });
});
