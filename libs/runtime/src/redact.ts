export const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of a secret value in `text` by `[redacted]`. Longer secrets go first, so one that
 * contains another is replaced whole. Strings and numbers count (a number secret is matched as its digits);
 * empty values are skipped: they would match everywhere.
 */
export function redactSecrets(text: string, secrets: Record<string, unknown> | undefined): string {
  if (!secrets || text.length === 0) return text;
  const values = secretStrings(secrets);
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

/** The secret values as strings, longest first. */
export function secretStrings(secrets: Record<string, unknown>): string[] {
  const values = new Set<string>();
  for (const value of Object.values(secrets)) {
    if (typeof value === 'string' && value.length > 0) values.add(value);
    else if (typeof value === 'number' && Number.isFinite(value)) values.add(String(value));
  }
  return [...values].sort((a, b) => b.length - a.length);
}
