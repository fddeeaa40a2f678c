import { describe, expect, it } from 'vitest';
import {
  checkPayloadBound,
  decodePayload,
  encodePayload,
  errorFromAnswer,
  handlerFailure,
  unsendableAnswer,
} from './bus-payload.js';
import { BusError } from './message-bus.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('encodePayload / decodePayload', () => {
  it('round-trips JSON and sends undefined as null', () => {
    const value = { a: [1, 'two', null, true, { b: 2.5 }], s: 'é€😀' };
    expect(decodePayload(encodePayload(value, 1000, 'request'), 'request')).toEqual(value);
    expect(decodePayload(encodePayload(undefined, 1000, 'answer'), 'answer')).toBeNull();
  });

  it('counts UTF-8 bytes, not characters, against the bound', () => {
    const euro = '€'.repeat(10); // 30 bytes, 12 with the quotes as characters
    expect(encodePayload(euro, 32, 'request').byteLength).toBe(32);
    expect(code(() => encodePayload(euro, 31, 'request'))).toBe('payload_too_large');
    expect(code(() => encodePayload('x'.repeat(100), 99, 'request'))).toBe('payload_too_large');
  });

  it('refuses what JSON cannot hold', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [10n, cycle, () => 1, Symbol('s')]) {
      expect(code(() => encodePayload(value, 1000, 'request'))).toBe('invalid_argument');
    }
  });

  it('refuses bytes that are not JSON or not UTF-8', () => {
    expect(code(() => decodePayload(new TextEncoder().encode('{'), 'answer'))).toBe('invalid_argument');
    expect(code(() => decodePayload(new Uint8Array([0x22, 0xff, 0x22]), 'answer'))).toBe('invalid_argument');
  });
});

describe('error answers', () => {
  it('carry the handler message and string code back as remote_error', () => {
    const error = Object.assign(new Error('no such greeting'), { code: 'PLUGIN_ERROR' });
    const back = errorFromAnswer(JSON.parse(JSON.stringify(handlerFailure(error))));
    expect(back).toBeInstanceOf(BusError);
    expect(back).toMatchObject({ code: 'remote_error', remoteCode: 'PLUGIN_ERROR', message: 'no such greeting' });
  });

  it('accept non-Error throws and ignore codes that are not strings', () => {
    expect(errorFromAnswer(handlerFailure('plain'))).toMatchObject({ code: 'remote_error', message: 'plain' });
    const numbered = errorFromAnswer(handlerFailure(Object.assign(new Error('x'), { code: 42 })));
    expect(numbered.code).toBe('remote_error');
    expect(numbered.remoteCode).toBeUndefined();
    expect(errorFromAnswer(handlerFailure(undefined)).code).toBe('remote_error');
  });

  it('cut very long messages so an error answer stays small', () => {
    const answer = handlerFailure(new Error('x'.repeat(100_000)));
    expect(answer.message.length).toBeLessThanOrEqual(4096);
  });

  it('report an answer too large as payload_too_large and one not JSON as remote_error', () => {
    expect(errorFromAnswer(unsendableAnswer(new BusError('payload_too_large', 'big'))).code).toBe('payload_too_large');
    expect(errorFromAnswer(unsendableAnswer(new BusError('invalid_argument', 'bigint'))).code).toBe('remote_error');
  });

  it('turn a malformed error answer into remote_error', () => {
    for (const answer of [undefined, null, 'text', 42, { code: 'closed' }]) {
      expect(errorFromAnswer(answer).code).toBe('remote_error');
    }
  });
});

describe('checkPayloadBound', () => {
  it.each([0, 15, 1.5, -1, Number.NaN, 2 ** 60])('refuses %j', (bound) => {
    expect(code(() => checkPayloadBound(bound))).toBe('invalid_argument');
  });
});
