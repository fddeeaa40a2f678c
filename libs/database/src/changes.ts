/**
 * The `$set` of an entity change: each defined field under its document name from `fields` (a change's field →
 * document field map, kept beside the mapper); undefined fields are left alone.
 *
 *   const USER_FIELDS: Record<keyof UserChanges, keyof UserDoc> = { name: 'name', passwordHash: 'password_hash' };
 *   toSet(USER_FIELDS, { passwordHash: hash }) // { password_hash: hash }
 */
export function toSet<C extends object>(fields: Record<keyof C, string>, changes: C): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    if (value !== undefined) set[fields[field as keyof C]] = value;
  }
  return set;
}
