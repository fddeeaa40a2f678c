/** Escapes a user's search text for use inside a regular expression, so it matches literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A case-insensitive "contains" matcher for a user's search text. */
export function containsIgnoreCase(text: string): RegExp {
  return new RegExp(escapeRegex(text), 'i');
}
