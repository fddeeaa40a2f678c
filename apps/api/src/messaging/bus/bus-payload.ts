import { BusError, type JsonValue } from './message-bus.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** An error message longer than this is cut, so that an error answer always fits in any sane payload bound. */
const MAX_ERROR_MESSAGE = 4096;

/**
 * JSON bytes of `value`, refused when larger than `maxBytes`. `undefined` (a handler that returns nothing) is sent
 * as `null`; what JSON cannot hold (BigInt, cycles, functions, symbols) is `invalid_argument`.
 */
export function encodePayload(value: unknown, maxBytes: number, what: string): Uint8Array {
  let text: string | undefined;
  try {
    text = value === undefined ? 'null' : JSON.stringify(value);
  } catch (cause) {
    throw new BusError('invalid_argument', `The ${what} is not JSON.`, { cause });
  }
  if (text === undefined) throw new BusError('invalid_argument', `The ${what} is not JSON.`);
  // Each UTF-16 unit is at most 3 UTF-8 bytes: a text short enough is not encoded twice to be measured.
  if (text.length > maxBytes) throwTooLarge(what, maxBytes);
  const bytes = encoder.encode(text);
  if (bytes.byteLength > maxBytes) throwTooLarge(what, maxBytes);
  return bytes;
}

function throwTooLarge(what: string, maxBytes: number): never {
  throw new BusError('payload_too_large', `The ${what} is larger than ${maxBytes} bytes.`);
}

/** Parses what `encodePayload` produced; anything else is `invalid_argument`. */
export function decodePayload(bytes: Uint8Array, what: string): JsonValue {
  try {
    return JSON.parse(decoder.decode(bytes)) as JsonValue;
  } catch (cause) {
    throw new BusError('invalid_argument', `The ${what} is not JSON.`, { cause });
  }
}

/** What travels back instead of an answer: the handler threw, or its answer did not fit or was not JSON. */
export interface ErrorAnswer {
  code: 'remote_error' | 'payload_too_large';
  message: string;
  remoteCode?: string;
}

/** The error answer for what a handler threw: its message and, when it has a string one, its code. */
export function handlerFailure(error: unknown): ErrorAnswer {
  let message: string;
  if (error instanceof Error) message = error.message;
  else if (typeof error === 'string') message = error;
  else message = 'The handler failed without an error message.';
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const answer: ErrorAnswer = { code: 'remote_error', message: message.slice(0, MAX_ERROR_MESSAGE) };
  if (typeof code === 'string') answer.remoteCode = code.slice(0, 128);
  return answer;
}

/** The error answer for an answer `encodePayload` refused. */
export function unsendableAnswer(error: unknown): ErrorAnswer {
  if (error instanceof BusError && error.code === 'payload_too_large')
    return { code: error.code, message: error.message };
  return { code: 'remote_error', message: 'The handler answered with something that is not JSON.' };
}

/** The requester's side of an error answer; a malformed one still ends the request as `remote_error`. */
export function errorFromAnswer(answer: unknown): BusError {
  const a = (typeof answer === 'object' && answer !== null ? answer : {}) as Partial<
    Record<keyof ErrorAnswer, unknown>
  >;
  const message = typeof a.message === 'string' ? a.message : 'The handler failed without an error message.';
  if (a.code === 'payload_too_large') return new BusError('payload_too_large', message);
  return new BusError('remote_error', message, typeof a.remoteCode === 'string' ? { remoteCode: a.remoteCode } : {});
}

/** A payload bound: whole bytes, and room at least for a small JSON object. */
export function checkPayloadBound(maxPayloadBytes: number): number {
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < 16) {
    throw new BusError(
      'invalid_argument',
      `maxPayloadBytes must be an integer of at least 16, not ${maxPayloadBytes}.`,
    );
  }
  return maxPayloadBytes;
}
