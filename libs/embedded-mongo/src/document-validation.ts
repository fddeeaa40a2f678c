import type { Collection } from './collection.js';
import { ErrorCode, MongoCommandError } from './errors.js';
import { mingoQuery } from './mingo-context.js';
import { isPlainObject, type Doc } from './paths.js';

/**
 * Collection validators (`validator`, `validationLevel`, `validationAction`): a query expression, which may
 * use `$jsonSchema` (checked by ajv, with MongoDB's `bsonType` keyword), that every inserted or updated
 * document must match; a failure is DocumentValidationFailure (121) unless the command bypasses validation.
 */

const compiled = new WeakMap<object, (doc: Doc) => boolean>();

function matcherFor(validator: Doc): (doc: Doc) => boolean {
  let m = compiled.get(validator);
  if (!m) {
    const q = mingoQuery(validator);
    m = (doc) => q.test(doc);
    compiled.set(validator, m);
  }
  return m;
}

/**
 * Throws DocumentValidationFailure when `doc` breaks the collection's validator. `before` is the stored
 * version for updates: under validationLevel "moderate" a document that was already invalid may change.
 */
export function checkValidator(coll: Collection, cmd: Doc, doc: Doc, before?: Doc): void {
  const validator = coll.options.validator;
  if (!isPlainObject(validator) || Object.keys(validator).length === 0) return;
  if (cmd.bypassDocumentValidation === true) return;
  const level = coll.options.validationLevel ?? 'strict';
  if (level === 'off') return;
  const matches = matcherFor(validator);
  if (level === 'moderate' && before && !matches(before)) return;
  if (matches(doc)) return;
  if (coll.options.validationAction === 'warn') return;
  throw new MongoCommandError(ErrorCode.DocumentValidationFailure, 'Document failed validation', {
    errInfo: { failingDocumentId: doc._id, details: { operatorName: Object.keys(validator)[0] } },
  });
}
