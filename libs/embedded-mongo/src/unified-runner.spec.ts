import { describe, expect, it } from 'vitest';
import { match, Mismatch, type MatchContext } from './testing/unified-runner.js';

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
