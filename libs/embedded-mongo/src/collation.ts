import type { StringComparer } from './bson-order.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { isPlainObject, type Doc } from './paths.js';

/**
 * MongoDB collations (locale, strength 1–5, caseLevel, caseFirst, numericOrdering, alternate) through
 * Intl.Collator (ICU). `undefined` everywhere means the simple collation: binary comparison of strings.
 */

const DEFAULTS = {
  caseLevel: false,
  caseFirst: 'off',
  strength: 3,
  numericOrdering: false,
  alternate: 'non-ignorable',
  maxVariable: 'punct',
  normalization: false,
  backwards: false,
} as const;

const FIELDS = new Set(['locale', ...Object.keys(DEFAULTS), 'version']);

export class Collation implements StringComparer {
  /** Equal for two collations exactly when they order strings alike (index/query matching uses it). */
  readonly key: string;
  private readonly collator: Intl.Collator;

  constructor(readonly spec: Doc) {
    this.key = JSON.stringify(spec);
    const strength = Number(spec.strength);
    const caseLevel = spec.caseLevel === true;
    let sensitivity: Intl.CollatorOptions['sensitivity'];
    if (strength === 1) sensitivity = caseLevel ? 'case' : 'base';
    else if (strength === 2) sensitivity = caseLevel ? 'variant' : 'accent';
    else sensitivity = 'variant';
    this.collator = new Intl.Collator(String(spec.locale).replace(/_/g, '-'), {
      usage: 'sort',
      sensitivity,
      numeric: spec.numericOrdering === true,
      caseFirst: spec.caseFirst === 'upper' ? 'upper' : spec.caseFirst === 'lower' ? 'lower' : 'false',
      ignorePunctuation: spec.alternate === 'shifted',
    });
  }

  compare(a: string, b: string): number {
    return this.collator.compare(a, b);
  }
}

const cache = new Map<string, Collation>();

/** Parses a command's or an index's `collation`; undefined for absent or `{locale: 'simple'}`. */
export function parseCollation(raw: unknown): Collation | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw))
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'collation' is the wrong type, expected type 'object'",
    );
  for (const k of Object.keys(raw)) {
    if (!FIELDS.has(k))
      throw new MongoCommandError(ErrorCode.Location40415, `BSON field 'Collation.${k}' is an unknown field.`);
  }
  if (typeof raw.locale !== 'string')
    throw new MongoCommandError(
      ErrorCode.Location40414,
      "BSON field 'Collation.locale' is missing but a required field",
    );
  if (raw.locale === 'simple') {
    const extra = Object.keys(raw).filter((k) => k !== 'locale' && k !== 'version');
    if (extra.length > 0)
      throw new MongoCommandError(
        ErrorCode.BadValue,
        `Collation with locale 'simple' cannot have option '${extra[0]}'`,
      );
    return undefined;
  }
  const locale = raw.locale;
  if (Intl.Collator.supportedLocalesOf([locale.replace(/_/g, '-')]).length === 0 && locale !== 'root')
    throw new MongoCommandError(ErrorCode.BadValue, `Field 'locale' is invalid in: { locale: "${locale}" }`);
  const spec: Doc = { locale, ...DEFAULTS };
  for (const [k, v] of Object.entries(raw)) if (k !== 'locale' && k !== 'version') spec[k] = v;
  if (![1, 2, 3, 4, 5].includes(Number(spec.strength)))
    throw new MongoCommandError(
      ErrorCode.BadValue,
      `strength must be an integer 1 through 5. Got: ${String(spec.strength)}`,
    );
  spec.strength = Number(spec.strength);
  if (!['off', 'upper', 'lower'].includes(String(spec.caseFirst)))
    throw new MongoCommandError(ErrorCode.FailedToParse, `caseFirst must be 'upper', 'lower' or 'off'`);
  if (!['non-ignorable', 'shifted'].includes(String(spec.alternate)))
    throw new MongoCommandError(ErrorCode.FailedToParse, `alternate must be 'non-ignorable' or 'shifted'`);
  for (const k of ['caseLevel', 'numericOrdering', 'normalization', 'backwards'])
    if (typeof spec[k] !== 'boolean')
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        `BSON field 'Collation.${k}' is the wrong type, expected type 'bool'`,
      );
  spec.version = '57.1';
  const key = JSON.stringify(spec);
  let c = cache.get(key);
  if (!c) {
    c = new Collation(spec);
    cache.set(key, c);
  }
  return c;
}

/** A command's collation when it gives one (even 'simple'), else the collection's default. */
export function effectiveCollation(raw: unknown, collectionDefault: unknown): Collation | undefined {
  if (raw !== undefined) return parseCollation(raw);
  return parseCollation(collectionDefault);
}

export function collationKey(c: Collation | undefined): string {
  return c?.key ?? 'simple';
}
