/**
 * MongoDB's total order over BSON values (the "canonical type" order used by sort and indexes),
 * plus a canonical string key so values that compare equal share one key.
 *
 * Numbers of every BSON width (int32, int64, double, decimal) compare as numbers; documents come out of the
 * BSON decoder with int32/int64/double promoted to JS numbers, so wrappers only appear when a caller built them.
 */

/** Canonical type ranks, in MongoDB's order. Missing and null share a rank, like in MongoDB. */
export const Rank = {
  MinKey: 1,
  Null: 5,
  Number: 10,
  String: 15,
  Object: 20,
  Array: 25,
  BinData: 30,
  ObjectId: 35,
  Boolean: 40,
  Date: 45,
  Timestamp: 47,
  RegExp: 50,
  Code: 60,
  MaxKey: 127,
} as const;

/** A sentinel that sorts before (side -1) or after (side 1) every value of one rank; used for index bounds. */
export class BracketBound {
  constructor(
    readonly rank: number,
    readonly side: -1 | 1,
  ) {}
}

type BsonLike = { _bsontype?: string };

export function bsonType(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? (v as BsonLike)._bsontype : undefined;
}

/** The sort rank of each js-bson wrapper class (`_bsontype`); anything else ranks as an object. */
const BSON_TYPE_RANKS = new Map<string, number>([
  ...['Int32', 'Double', 'Long', 'Decimal128'].map((t): [string, number] => [t, Rank.Number]),
  ...Object.entries({ ObjectId: Rank.ObjectId, Binary: Rank.BinData, Timestamp: Rank.Timestamp, Code: Rank.Code }),
  ...Object.entries({ BSONRegExp: Rank.RegExp, BSONSymbol: Rank.String, MinKey: Rank.MinKey, MaxKey: Rank.MaxKey }),
]);

export function rankOf(v: unknown): number {
  switch (typeof v) {
    case 'undefined':
      return Rank.Null;
    case 'number':
    case 'bigint':
      return Rank.Number;
    case 'string':
      return Rank.String;
    case 'boolean':
      return Rank.Boolean;
    case 'function':
      return Rank.Code;
    case 'symbol':
      return Rank.Object;
    case 'object':
      break;
  }
  if (v === null) return Rank.Null;
  if (Array.isArray(v)) return Rank.Array;
  if (v instanceof Date) return Rank.Date;
  if (v instanceof RegExp) return Rank.RegExp;
  if (v instanceof BracketBound) return v.rank;
  const bsonType = (v as BsonLike)._bsontype;
  return (bsonType === undefined ? undefined : BSON_TYPE_RANKS.get(bsonType)) ?? Rank.Object;
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const t = bsonType(v);
  if (t === 'Long' || t === 'Int32' || t === 'Double')
    return (v as { toNumber?: () => number; valueOf(): number }).toNumber
      ? (v as { toNumber: () => number }).toNumber()
      : Number((v as { valueOf(): number }).valueOf());
  if (t === 'Decimal128') return Number.parseFloat(String(v));
  return Number.NaN;
}

function compareNumbers(a: number, b: number): number {
  // MongoDB orders NaN below every other number.
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares strings by code point (MongoDB compares UTF-8 bytes, which orders like code points). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (U+D800–DFFF) encode code points above U+FFFF, which must sort after U+E000–FFFF.
      const sx = x >= 0xd800 && x <= 0xdfff;
      const sy = y >= 0xd800 && y <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : String((v as { value?: string }).value ?? v);
}

/** Compares strings under a collation (ICU) instead of by code point. */
export interface StringComparer {
  compare(a: string, b: string): number;
}

/** Total order over BSON values as MongoDB defines it (strings under `collator` when given). Returns <0, 0 or >0. */
export function compareBson(a: unknown, b: unknown, collator?: StringComparer): number {
  if (a === b) return 0;
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (a instanceof BracketBound) return b instanceof BracketBound ? a.side - b.side : a.side;
  if (b instanceof BracketBound) return -b.side;
  switch (ra) {
    case Rank.Null:
    case Rank.MinKey:
    case Rank.MaxKey:
      return 0;
    case Rank.Number:
      return typeof a === 'number' && typeof b === 'number'
        ? compareNumbers(a, b)
        : compareNumbers(toNumber(a), toNumber(b));
    case Rank.String:
      return collator ? collator.compare(stringOf(a), stringOf(b)) : compareStrings(stringOf(a), stringOf(b));
    case Rank.Boolean:
      return a === b ? 0 : a ? 1 : -1;
    case Rank.Date:
      return compareNumbers((a as Date).getTime(), (b as Date).getTime());
    case Rank.ObjectId:
      return compareBytes((a as { id: Uint8Array }).id, (b as { id: Uint8Array }).id);
    case Rank.Array: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareBson(x[i], y[i], collator);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case Rank.Object: {
      const ka = Object.keys(a as object);
      const kb = Object.keys(b as object);
      const n = Math.min(ka.length, kb.length);
      for (let i = 0; i < n; i++) {
        const va = (a as Record<string, unknown>)[ka[i]];
        const vb = (b as Record<string, unknown>)[kb[i]];
        const r = rankOf(va) - rankOf(vb);
        if (r !== 0) return r < 0 ? -1 : 1;
        const k = compareStrings(ka[i], kb[i]);
        if (k !== 0) return k;
        const c = compareBson(va, vb, collator);
        if (c !== 0) return c;
      }
      return ka.length - kb.length;
    }
    case Rank.BinData: {
      const x = a as { buffer: Uint8Array; sub_type: number; position?: number };
      const y = b as { buffer: Uint8Array; sub_type: number; position?: number };
      const bx = x.buffer.subarray(0, x.position ?? x.buffer.length);
      const by = y.buffer.subarray(0, y.position ?? y.buffer.length);
      if (bx.length !== by.length) return bx.length - by.length;
      if (x.sub_type !== y.sub_type) return x.sub_type - y.sub_type;
      return compareBytes(bx, by);
    }
    case Rank.Timestamp: {
      const x = a as { t: number; i: number };
      const y = b as { t: number; i: number };
      return x.t !== y.t ? compareNumbers(x.t, y.t) : compareNumbers(x.i, y.i);
    }
    case Rank.RegExp: {
      const x = a as { source?: string; pattern?: string; flags?: string; options?: string };
      const y = b as { source?: string; pattern?: string; flags?: string; options?: string };
      const c = compareStrings(x.source ?? x.pattern ?? '', y.source ?? y.pattern ?? '');
      return c !== 0 ? c : compareStrings(x.flags ?? x.options ?? '', y.flags ?? y.options ?? '');
    }
    default:
      return compareStrings(String(a), String(b));
  }
}

/**
 * A string that is identical for two values exactly when compareBson says they are equal
 * (1, 1.0 and Long(1) share one key; null and missing share one key).
 */
export function keyString(v: unknown): string {
  // The common scalar types first, without computing a rank.
  if (typeof v === 'string') return 's' + v;
  if (typeof v === 'number') return 'n' + (v === 0 ? '0' : String(v));
  if (v === undefined) return 'z';
  if (typeof v === 'boolean') return v ? 'bT' : 'bF';
  const r = rankOf(v);
  switch (r) {
    case Rank.Null:
      return 'z';
    case Rank.Number: {
      const n = toNumber(v);
      return 'n' + (n === 0 ? '0' : String(n));
    }
    case Rank.String:
      return 's' + stringOf(v);
    case Rank.ObjectId:
      return 'o' + (v as { toHexString(): string }).toHexString();
    case Rank.Date:
      return 'd' + (v as Date).getTime();
    case Rank.Array:
      return '[' + (v as unknown[]).map((x) => lengthPrefixed(keyString(x))).join('') + ']';
    case Rank.Object: {
      let s = '{';
      for (const [k, x] of Object.entries(v as object)) s += lengthPrefixed(k) + lengthPrefixed(keyString(x));
      return s + '}';
    }
    case Rank.BinData: {
      const x = v as { buffer: Uint8Array; sub_type: number; position?: number };
      return (
        'x' + x.sub_type + ':' + Buffer.from(x.buffer.subarray(0, x.position ?? x.buffer.length)).toString('base64')
      );
    }
    case Rank.Timestamp: {
      const x = v as { t: number; i: number };
      return 't' + x.t + ':' + x.i;
    }
    case Rank.MinKey:
      return '-';
    case Rank.MaxKey:
      return '+';
    case Rank.RegExp: {
      const x = v as { source?: string; pattern?: string; flags?: string; options?: string };
      return 'r' + lengthPrefixed(x.source ?? x.pattern ?? '') + (x.flags ?? x.options ?? '');
    }
    case Rank.Code:
      return 'c' + (typeof v === 'function' ? v.toString() : String((v as { code?: unknown }).code));
    default:
      return 'r' + r;
  }
}

function lengthPrefixed(s: string): string {
  return s.length + ':' + s;
}

/** Sort direction per field, as in a sort spec or an index key pattern. */
export type Direction = 1 | -1;

/**
 * The value a document contributes to a sort on one field: MongoDB sorts an array by its smallest element
 * ascending and by its largest element descending; an empty array sorts before null.
 */
export function sortValue(values: unknown[], dir: Direction, collator?: StringComparer): unknown {
  if (values.length === 0) return null;
  let best = values[0];
  for (let i = 1; i < values.length; i++) {
    const c = compareBson(values[i], best, collator);
    if (dir === 1 ? c < 0 : c > 0) best = values[i];
  }
  return best;
}
