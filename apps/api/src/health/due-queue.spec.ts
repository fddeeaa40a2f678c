import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DueQueue } from './due-queue.js';

describe('DueQueue', () => {
  it('hands entries back earliest first, however pushes and pops interleave', () => {
    const step = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant('pop' as const));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const queue = new DueQueue();
        const model: number[] = [];
        for (const [i, s] of steps.entries()) {
          if (s === 'pop') {
            model.sort((a, b) => a - b);
            expect(queue.pop()?.at).toBe(model.shift());
          } else {
            queue.push({ id: `e${i}`, at: s });
            model.push(s);
          }
          expect(queue.size).toBe(model.length);
          expect(queue.peek()?.at).toBe(model.length ? Math.min(...model) : undefined);
        }
      }),
    );
  });
});
