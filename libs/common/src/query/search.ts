/**
 * Escapes a user's search text for use inside a regular expression, so it matches literally. NUL is
 * written as `\x00`: BSON stores a regex source as a C string, so a raw NUL cannot reach the database.
 */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');
}

/** A case-insensitive "contains" matcher for a user's search text. */
export function containsIgnoreCase(text: string): RegExp {
  return new RegExp(escapeRegex(text), 'i');
}
