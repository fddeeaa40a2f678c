/** MongoDB's duplicate-key error (E11000), raised by a unique index. */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}

/**
 * Runs a write and turns a duplicate-key failure into the module's own error (`PluginKeyTakenError`, …), so a
 * unique index decides races and the client still gets a named error with its reason:
 *
 *   return onDuplicateKey(() => this.model.create(doc), () => new EmailTakenError(email));
 */
export async function onDuplicateKey<T>(write: () => Promise<T>, toError: (err: unknown) => Error): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDuplicateKey(err)) throw toError(err);
    throw err;
  }
}

/** Which document of an ordered bulk insert hit the duplicate key (the driver's first write error names it); 0 if unsaid. */
export function failedInsertIndex(err: unknown): number {
  const errors = (err as { writeErrors?: Array<{ index?: unknown }> } | null)?.writeErrors;
  const index = Array.isArray(errors) ? errors[0]?.index : undefined;
  return typeof index === 'number' ? index : 0;
}
