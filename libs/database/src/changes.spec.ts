import { describe, expect, it } from 'vitest';
import { toSet } from './changes.js';

describe('toSet', () => {
  interface Changes {
    name?: string;
    lastSeenAt?: Date | null;
  }
  const FIELDS: Record<keyof Changes, string> = { name: 'name', lastSeenAt: 'last_seen_at' };

  it('renames each defined field, keeping null (a clear) and leaving undefined ones out', () => {
    expect(toSet(FIELDS, { name: 'n', lastSeenAt: null })).toEqual({ name: 'n', last_seen_at: null });
    expect(toSet(FIELDS, { name: undefined, lastSeenAt: new Date(5) })).toEqual({ last_seen_at: new Date(5) });
    expect(toSet(FIELDS, {})).toEqual({});
  });
});
