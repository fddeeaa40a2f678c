import { AppError } from '../errors/app-error.js';

/** How much structure one JSON body may carry, checked before anything parses or walks it. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays (the body itself is level 1). */
  maxDepth: number;
  /** Members of any one object: class-transformer's cost grows with the square of this. */
  maxKeysPerObject: number;
  /** Object members in the whole body. */
  maxKeys: number;
  /** Object members plus array items in the whole body. */
  maxValues: number;
}

/**
 * Generous for every body the API takes (a manifest has at most 100 settings of a dozen fields, 500
 * choices each), small enough that transforming and validating the largest allowed body stays in
 * the low milliseconds.
 */
export const JSON_LIMITS: JsonLimits = { maxDepth: 32, maxKeysPerObject: 500, maxKeys: 5_000, maxValues: 100_000 };

/** Why a body was refused before validation; `details.reason` of the VALIDATION_ERROR. */
export type BodyRefusal =
  | 'body_too_large'
  | 'body_too_deep'
  | 'too_many_keys'
  | 'too_many_values'
  | 'invalid_json'
  | 'invalid_unicode'
  | 'forbidden_key';

export function bodyRefused(reason: BodyRefusal, message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('VALIDATION_ERROR', message, [], { reason, ...details });
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const COLON = 0x3a; // :
const COMMA = 0x2c; // ,

/**
 * One linear pass over the text that counts nesting, keys and values without building anything, so
 * a hostile body is refused at the cost of reading it once. It trusts JSON.parse to reject malformed
 * text afterwards: on malformed input the counts may be off, never the time. String contents are
 * skipped with indexOf, so a large base64 file costs next to nothing.
 */
export function checkJsonShape(text: string, limits: JsonLimits = JSON_LIMITS): AppError | null {
  // Per open container: -1 for an array, else the number of keys seen in that object.
  const stack: number[] = [];
  let keys = 0;
  let values = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return null; // unterminated: JSON.parse reports it
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= limits.maxDepth) {
        return bodyRefused('body_too_deep', `The body is nested deeper than ${limits.maxDepth} levels.`, {
          limit: limits.maxDepth,
        });
      }
      stack.push(c === OPEN_ARRAY ? -1 : 0);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COLON && stack.length > 0 && stack[stack.length - 1] >= 0) {
      const inObject = ++stack[stack.length - 1];
      if (inObject > limits.maxKeysPerObject) {
        return bodyRefused('too_many_keys', `An object in the body has more than ${limits.maxKeysPerObject} keys.`, {
          limit: limits.maxKeysPerObject,
        });
      }
      if (++keys > limits.maxKeys) {
        return bodyRefused('too_many_keys', `The body has more than ${limits.maxKeys} keys.`, {
          limit: limits.maxKeys,
        });
      }
      values++;
    } else if (c === COMMA && stack.length > 0 && stack[stack.length - 1] === -1) {
      values++;
    } else {
      continue;
    }
    if (values > limits.maxValues) {
      return bodyRefused('too_many_values', `The body has more than ${limits.maxValues} values.`, {
        limit: limits.maxValues,
      });
    }
  }
  return null;
}

/** A quote is escaped when an odd number of backslashes precede it. */
function isEscaped(text: string, quote: number): boolean {
  let slashes = 0;
  for (let k = quote - 1; k >= 0 && text.charCodeAt(k) === BACKSLASH; k--) slashes++;
  return slashes % 2 === 1;
}

/**
 * Parses a JSON request body within the limits. An empty body is no body (undefined), as clients
 * send `Content-Type: application/json` on bodiless DELETEs. Keys that would reach an object's
 * prototype once merged elsewhere (`__proto__`, `constructor.prototype`) are refused, as Fastify's
 * own parser does; so are keys holding NUL (the database cannot store them) and strings that are
 * not Unicode, which nothing downstream can handle.
 */
export function parseJsonBody(text: string, limits: JsonLimits = JSON_LIMITS): unknown {
  if (text.trim() === '') return undefined;
  const refused = checkJsonShape(text, limits);
  if (refused) throw refused;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bodyRefused('invalid_json', 'The body is not valid JSON.');
  }
  // Both problems below can only be written with escapes or these words, so most bodies skip the walk.
  if (text.includes('\\u') || text.includes('__proto__') || text.includes('prototype')) {
    const problem = inspect(value);
    if (problem === 'lone_surrogate') {
      throw bodyRefused('invalid_unicode', 'The body holds a string that is not valid Unicode (a lone surrogate).');
    }
    if (problem === 'nul_key') {
      throw bodyRefused('forbidden_key', 'Keys in the body may not contain NUL (U+0000).', { key: '\u0000' });
    }
    if (problem) throw bodyRefused('forbidden_key', `The body may not contain the key ${problem}.`, { key: problem });
  }
  return value;
}

/** A UTF-16 surrogate without its pair: `"\ud800"` is valid JSON, yet no character (validators throw on it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Walks the parsed value (bounded by the limits above) for keys that reach a prototype
 * (`__proto__`, `constructor.prototype`), keys holding NUL and strings that are not Unicode.
 */
function inspect(root: unknown): string | null {
  const pending: unknown[] = [root];
  while (pending.length) {
    const node = pending.pop();
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return 'lone_surrogate';
      continue;
    }
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const item of node) pending.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(record, '__proto__')) return '__proto__';
    const ctor = Object.prototype.hasOwnProperty.call(record, 'constructor') ? record.constructor : undefined;
    if (ctor && typeof ctor === 'object' && Object.prototype.hasOwnProperty.call(ctor, 'prototype')) {
      return 'constructor.prototype';
    }
    for (const key of Object.keys(record)) {
      if (LONE_SURROGATE.test(key)) return 'lone_surrogate';
      // BSON writes keys as C strings: a NUL in one can never be stored.
      if (key.includes('\u0000')) return 'nul_key';
      pending.push(record[key]);
    }
  }
  return null;
}
