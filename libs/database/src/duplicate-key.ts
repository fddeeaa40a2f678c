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
