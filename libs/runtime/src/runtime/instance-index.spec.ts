import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InstanceState } from '../runtime.types.js';
import { InstanceIndex } from './instance-index.js';

const STATES: InstanceState[] = ['loading', 'ready', 'failed', 'stopping', 'stopped'];
const KEYS = ['acme.a', 'acme.b', 'acme.c'];

const instance = (pluginKey: string, state: InstanceState) => ({ state, spec: { pluginKey } });

describe('InstanceIndex', () => {
  it('moves an installation between states and keys, and forgets it once no instance is loaded', () => {
    const index = new InstanceIndex();
    index.update('i1', instance('acme.a', 'loading'));
    index.update('i2', instance('acme.a', 'loading'));
    index.update('i1', instance('acme.a', 'ready'));
    expect(index.ids({ pluginKey: 'acme.a', state: 'ready' })).toEqual(['i1']);
    expect(index.counts()).toEqual({ loading: 1, ready: 1, failed: 0, stopping: 0, stopped: 0 });
    index.update('i2', instance('acme.a', 'ready'));
    // The order by key stays the order of first sight, whatever the states did since.
    expect(index.ids({ pluginKey: 'acme.a', state: 'ready', limit: 1 })).toEqual(['i1']);
    index.update('i1', instance('acme.b', 'ready')); // a new instance under another key
    expect(index.ids({ pluginKey: 'acme.a' })).toEqual(['i2']);
    index.update('i2', undefined);
    expect(index.ids({ pluginKey: 'acme.a' })).toEqual([]);
    expect(index.ids()).toEqual(['i1']);
    expect(index.counts().ready).toBe(1);
  });

  it('answers what a scan of the instances would, after any sequence of changes', () => {
    const change = fc.record({
      id: fc.constantFrom('i1', 'i2', 'i3', 'i4'),
      to: fc.option(fc.record({ key: fc.constantFrom(...KEYS), state: fc.constantFrom(...STATES) }), {
        nil: undefined,
      }),
    });
    const filter = fc.record(
      {
        state: fc.constantFrom(...STATES),
        pluginKey: fc.constantFrom(...KEYS, 'acme.none'),
        limit: fc.integer({ min: 0, max: 5 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 40 }), fc.array(filter, { maxLength: 5 }), (changes, filters) => {
        const index = new InstanceIndex();
        const loaded = new Map<string, { key: string; state: InstanceState }>();
        for (const { id, to } of changes) {
          index.update(id, to && instance(to.key, to.state));
          if (to) loaded.set(id, to);
          else loaded.delete(id);
        }
        const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<InstanceState, number>;
        for (const i of loaded.values()) counts[i.state]++;
        expect(index.counts()).toEqual(counts);
        for (const f of filters) {
          const scan = [...loaded.entries()]
            .filter(([, i]) => (f.state === undefined || i.state === f.state) && (f.pluginKey ?? i.key) === i.key)
            .map(([id]) => id);
          // As a set: the index keeps the order of first sight per key and of the last change per state.
          const got = index.ids(f);
          expect(got.length).toBe(Math.min(scan.length, f.limit ?? Infinity));
          for (const id of got) expect(scan).toContain(id);
          expect(new Set(got).size).toBe(got.length);
        }
      }),
    );
  });
});
