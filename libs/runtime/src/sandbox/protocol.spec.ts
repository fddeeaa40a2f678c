import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAnswer, decodeCall, encodeAnswer, encodeCall } from './protocol.js';

describe('the hot path strings', () => {
  it('a call reads back as it was sent, whatever the request id and payload hold', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
        fc.constantFrom('onInit', 'onMessage', 'onEvent', 'onProcess', 'onRequest', 'onHealth', 'onCleanup'),
        fc.option(fc.json(), { nil: undefined }),
        (slot, id, timeoutMs, requestId, hook, payload) => {
          const call = decodeCall(encodeCall(slot, id, timeoutMs, requestId, hook, payload));
          expect(call).toEqual({
            slot,
            id,
            timeoutMs,
            requestId,
            hook,
            request: payload === undefined ? `${id}\n${hook}` : `${id}\n${hook}\n${payload}`,
          });
        },
      ),
    );
  });

  it('an answer reads back as it was sent, its CPU times to the microsecond, its value untouched', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.nat(),
        fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
        (id, cpuMs, totalCpuMs, memoryBytes, value) => {
          const answer = decodeAnswer(encodeAnswer(id, cpuMs, totalCpuMs, memoryBytes, value));
          // min: 0 draws no -0 (CPU time is never negative), so the rounding below gives +0 for 0.
          expect(Math.abs(answer.cpuMs! - cpuMs)).toBeLessThanOrEqual(0.0005);
          expect(Math.abs(answer.totalCpuMs! - totalCpuMs)).toBeLessThanOrEqual(0.0005);
          expect(answer).toEqual({
            id,
            outcome: 'ok',
            cpuMs: Math.round(cpuMs * 1000) / 1000,
            totalCpuMs: Math.round(totalCpuMs * 1000) / 1000,
            ...(memoryBytes > 0 ? { memoryBytes } : {}),
            ...(value === undefined ? {} : { value }),
          });
        },
      ),
    );
  });
});
