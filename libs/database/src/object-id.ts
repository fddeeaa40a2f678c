import { isValidObjectId, Types } from 'mongoose';

const HEX_ID = /^[0-9a-f]{24}$/i;

/** An id the server generated (24 hex digits); anything else can never name a stored document. */
export function isObjectIdString(id: string): boolean {
  return HEX_ID.test(id) && isValidObjectId(id);
}

export function toObjectId(id: string): Types.ObjectId {
  return new Types.ObjectId(id);
}
