import { Ajv } from 'ajv';
import { bsonTypeName } from './mingo-context.js';

/**
 * `$jsonSchema` as a query operator (find, `$match`, counts, collection validators): checked by ajv, with MongoDB's
 * `bsonType` keyword. Keywords MongoDB refuses (`$ref`, `default`, ...) are ignored, not refused (README).
 */
const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
ajv.addKeyword({
  keyword: 'bsonType',
  schemaType: ['string', 'array'],
  validate: (wanted: string | string[], data: unknown) => {
    const name = bsonTypeName(data);
    const list = Array.isArray(wanted) ? wanted : [wanted];
    return list.some((t) => t === name || (t === 'number' && ['int', 'long', 'double', 'decimal'].includes(name)));
  },
});

/** Compiled schemas by their text, the most recent first out of 256 (a query's operand is a new object each time). */
const compiled = new Map<string, (doc: unknown) => boolean>();
const KEPT = 256;

/** The test a `$jsonSchema` operand makes. ajv forgets the schema object, so a stream of queries holds no memory. */
export function compileJsonSchema(schema: object): (doc: unknown) => boolean {
  const key = JSON.stringify(schema);
  let test = compiled.get(key);
  if (!test) {
    const check = ajv.compile(schema);
    ajv.removeSchema(schema);
    test = (doc) => check(doc) === true;
    compiled.set(key, test);
    if (compiled.size > KEPT) compiled.delete(compiled.keys().next().value as string);
  }
  return test;
}
