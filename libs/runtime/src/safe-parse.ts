/** JSON.parse that drops `__proto__` keys, so plugin output merged into host objects cannot pollute prototypes. */
export function safeParse(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
}

/** For text the prelude produced with JSON.stringify; never lets a malformed payload throw on the main thread. */
export function parseOr(text: string, fallback: unknown): unknown {
  try {
    return safeParse(text);
  } catch {
    return fallback;
  }
}
