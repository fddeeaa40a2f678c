/** `lastLoginAt` → `last_login_at`: a camelCase name as the contract spells it. */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Rest}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Rest>}`
  : S;

/** A value as an answer carries it: a Date as its ISO 8601 string (a null stays null). */
export type OnTheWire<V> = V extends Date ? string : V;

/** The fields `K` of `T` under their contract names, with their values as an answer carries them. */
export type WireFields<T, K extends keyof T & string> = { [P in K as SnakeCase<P>]: OnTheWire<T[P]> };

/**
 * Contract names already spelled: the field names are the few the DTOs list, and every answer spells them again
 * (a regex replace per field per answer was a visible share of a small read's CPU). Bounded all the same.
 */
const snakeNames = new Map<string, string>();
const SNAKE_NAMES_MAX = 2048;

function snakeCase(name: string): string {
  let snake = snakeNames.get(name);
  if (snake === undefined) {
    snake = name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    if (snakeNames.size < SNAKE_NAMES_MAX) snakeNames.set(name, snake);
  }
  return snake;
}

/**
 * The named fields of a domain object under their contract names, for a response DTO's `from()`: `isActive`
 * becomes `is_active`, a Date its ISO string, everything else is copied as it is. Only the fields named are
 * copied, so a field the domain object gains later (a hash, a secret) never reaches an answer by itself. A field
 * that is renamed, computed or defaulted (`?? null`) is written beside it by hand:
 *
 *   return { ...wireFields(user, 'id', 'email', 'isActive', 'createdAt'), enabled: true };
 */
export function wireFields<T extends object, K extends keyof T & string>(source: T, ...names: K[]): WireFields<T, K> {
  const wire: Record<string, unknown> = {};
  for (const name of names) {
    const value = source[name];
    wire[snakeCase(name)] = value instanceof Date ? value.toISOString() : value;
  }
  return wire as WireFields<T, K>;
}
