/** What replaces a secret value in an audit entry: it says that one was there, never what it was. */
export const REDACTED = '[redacted]';

/**
 * Field names whose values are secrets wherever they appear: passwords, tokens, keys of credentials, and the
 * `Authorization`-like fields. Matched on the name lower-cased with `-` and `_` removed.
 */
const SECRET_NAMES =
  /(password|passwd|passphrase|secret|token|apikey|privatekey|accesskey|credential|authorization|cookie|signature)/;

/** Values that are credentials by their shape: API token keys (`phk_…`) and JWTs. */
const SECRET_VALUES = [/^phk_[A-Za-z0-9_-]{8,}$/, /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/];

/** Bounds that keep one entry small whatever a client sends (the fuzz test sends deep and long bodies). */
const MAX_DEPTH = 8;
const MAX_KEYS = 100;
const MAX_ITEMS = 50;
const MAX_STRING = 2000;

export interface RedactOptions {
  /** Exact values known to be secret in this request (e.g. a manifest's secret settings): replaced anywhere. */
  secretValues?: ReadonlySet<string>;
  /** Field names a DTO marks secret, on top of the built-in ones. */
  secretFields?: ReadonlySet<string>;
}

function secretName(name: string, extra?: ReadonlySet<string>): boolean {
  if (extra?.has(name)) return true;
  return SECRET_NAMES.test(name.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * A plain-data copy of `value` safe to store in the audit log: secret fields and values replaced by `[redacted]`,
 * a manifest setting marked `secret: true` keeps no `default`/`value`, depth, width and string length bounded,
 * dates as ISO strings, anything not JSON (functions, buffers) described instead of copied.
 */
export function redact(value: unknown, options: RedactOptions = {}): unknown {
  return walk(value, options, 0);
}

function walk(value: unknown, options: RedactOptions, depth: number): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') {
    if (options.secretValues?.has(value) || SECRET_VALUES.some((re) => re.test(value))) return REDACTED;
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[${value.length} chars]` : value;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (typeof value !== 'object') return `[${typeof value}]`;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => walk(v, options, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`[${value.length - MAX_ITEMS} more]`);
    return items;
  }
  const obj = value as Record<string, unknown>;
  const secretSetting = obj.secret === true;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(obj);
  for (const key of keys.slice(0, MAX_KEYS)) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function') continue;
    // Keys are stored as data: ones Mongo treats specially are escaped rather than dropped.
    const safeKey = key.replace(/^\$/, '＄').replace(/\./g, '．');
    const named = secretName(key, options.secretFields) && typeof v !== 'boolean'; // a flag says whether, not what
    if (named || (secretSetting && (key === 'default' || key === 'value'))) {
      out[safeKey] = v === null ? null : REDACTED;
    } else {
      out[safeKey] = walk(v, options, depth + 1);
    }
  }
  if (keys.length > MAX_KEYS) out['…'] = `[${keys.length - MAX_KEYS} more keys]`;
  return out;
}
