import { isValidObjectId, type Model, Types } from 'mongoose';

const HEX_ID = /^[0-9a-f]{24}$/i;

/** An id the server generated (24 hex digits); anything else can never name a stored document. */
export function isObjectIdString(id: string): boolean {
  return HEX_ID.test(id) && isValidObjectId(id);
}

export function toObjectId(id: string): Types.ObjectId {
  return new Types.ObjectId(id);
}

/** The document with this id, lean and mapped by `map`; null when the id is not an ObjectId or names none. */
export async function findLeanById<Doc, Lean, T>(
  model: Model<Doc>,
  id: string,
  map: (doc: Lean) => T,
): Promise<T | null> {
  if (!isObjectIdString(id)) return null;
  const doc = await model.findById(id).lean<Lean>().exec();
  return doc ? map(doc) : null;
}

/** The documents with these ids (those of them that are ObjectIds), lean and mapped by `map`, in no set order. */
export async function findLeanByIds<Doc, Lean, T>(
  model: Model<Doc>,
  ids: readonly string[],
  map: (doc: Lean) => T,
): Promise<T[]> {
  const valid = ids.filter(isObjectIdString);
  if (!valid.length) return [];
  const docs = await model
    .find({ _id: { $in: valid.map(toObjectId) } })
    .lean<Lean[]>()
    .exec();
  return docs.map(map);
}
