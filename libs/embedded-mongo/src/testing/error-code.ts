/** The `code` of what `f` throws (a MongoCommandError's), or undefined when it returns: for specs on error codes. */
export function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}
