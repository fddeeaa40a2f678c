import { describe, expect, it } from 'vitest';
import { BusSubjects, checkTimeout } from './bus-subjects.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('BusSubjects', () => {
  it('puts every subject under the prefix', () => {
    const subjects = new BusSubjects('acme.prod');
    expect(subjects.installation('665f1c2a9b1e4a0012345678')).toBe('acme.prod.installation.665f1c2a9b1e4a0012345678');
    expect(subjects.broadcast('events.wake')).toBe('acme.prod.broadcast.events.wake');
    expect(subjects.inboxPrefix).toBe('acme.prod._INBOX');
    expect(new BusSubjects().installation('a')).toBe('plughub.installation.a');
  });

  it.each(['', 'a.b', '*', '>', 'a*', 'a>', 'a b', 'a\tb', 'a\nb', 'é', 'x'.repeat(65)])(
    'refuses %j as an installation id',
    (id) => {
      expect(code(() => new BusSubjects().installation(id))).toBe('invalid_argument');
    },
  );

  it.each(['665f1c2a9b1e4a0012345678', '3f2b8c1e-7d4a-4c9b-9e1f-2a3b4c5d6e7f', 'A_b-9', 'x'.repeat(64)])(
    'accepts %j as an installation id',
    (id) => {
      expect(new BusSubjects().installation(id).endsWith(`.${id}`)).toBe(true);
    },
  );

  it.each(['', '.', 'a.', '.a', 'a..b', 'a.*', 'a.>', 'a b', 'x'.repeat(129)])('refuses %j as a channel', (channel) => {
    expect(code(() => new BusSubjects().broadcast(channel))).toBe('invalid_argument');
  });

  it.each(['', 'a.', 'a..b', 'plughub.*', 'plug hub', '>'])('refuses %j as a prefix', (prefix) => {
    expect(code(() => new BusSubjects(prefix))).toBe('invalid_argument');
  });

  it('refuses values that are not strings', () => {
    expect(code(() => new BusSubjects().installation(42 as unknown as string))).toBe('invalid_argument');
    expect(code(() => new BusSubjects().broadcast(null as unknown as string))).toBe('invalid_argument');
  });
});

describe('checkTimeout', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 86_400_001, '100' as unknown as number])(
    'refuses %j',
    (timeout) => {
      expect(code(() => checkTimeout(timeout))).toBe('invalid_argument');
    },
  );

  it('accepts up to a day and rounds fractions up', () => {
    expect(checkTimeout(1)).toBe(1);
    expect(checkTimeout(0.2)).toBe(1);
    expect(checkTimeout(86_400_000)).toBe(86_400_000);
  });
});
