type Json = Record<string, unknown>;

/** Keywords an OpenAPI 3.0 Schema Object has in common with JSON Schema 2020-12, kept as they are. */
const SAME = new Set([
  'title',
  'description',
  'type',
  'format',
  'enum',
  'default',
  'multipleOf',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'required',
  'readOnly',
  'writeOnly',
  'deprecated',
]);
/** Keywords whose value is a schema, or a list or map of schemas. */
const SCHEMA = new Set(['items', 'not', 'additionalProperties']);
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf']);
/** Identifiers and annotations with no place in a component. */
const DROPPED = new Set(['$id', '$schema', '$comment', 'examples']);

/**
 * Translates a JSON Schema (the 2020-12 subset the plugin-sdk manifest schema uses) into an equivalent OpenAPI 3.0
 * Schema Object, keyword by keyword, so the contract documents exactly what the validator enforces:
 *
 * - `true` / `false` schemas become `{}` / `{not: {}}`;
 * - `const: v` becomes `enum: [v]`; a type list becomes `anyOf` of single types (`null` becomes `nullable`);
 * - `if`/`then`/`else` becomes `anyOf: [{allOf: [if, then]}, {allOf: [{not: if}, else]}]`, which holds for the
 *   same instances;
 * - `propertyNames`, which OpenAPI 3.0 lacks, is said in the description (the server still enforces it).
 *
 * Anything else is refused, so a new keyword in the manifest schema fails the contract build instead of being lost.
 */
export function toOpenApi30(schema: unknown, path = '#'): Json {
  if (schema === true) return {};
  if (schema === false) return { not: {} };
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw new Error(`${path}: not a schema`);
  const src = schema as Json;
  const out: Json = {};
  const allOf: Json[] = [];
  const notes: string[] = [];
  for (const [key, value] of Object.entries(src)) {
    const at = `${path}/${key}`;
    if (DROPPED.has(key) || key === 'if' || key === 'then' || key === 'else') continue;
    if (key === 'type' && Array.isArray(value)) {
      const types = (value as string[]).filter((t) => t !== 'null');
      if (types.length < value.length) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else allOf.push({ anyOf: types.map((t) => ({ type: t })) });
    } else if (key === 'const') {
      out.enum = [value];
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Json).map(([name, sub]) => [name, toOpenApi30(sub, `${at}/${name}`)]),
      );
    } else if (key === 'propertyNames') {
      const names = value as Json;
      const rules = [
        typeof names.pattern === 'string' ? `match \`${names.pattern}\`` : '',
        typeof names.maxLength === 'number' ? `have at most ${names.maxLength} characters` : '',
      ].filter(Boolean);
      if (rules.length !== Object.keys(names).length) throw new Error(`${at}: only pattern and maxLength translate`);
      notes.push(`Keys ${rules.join(' and ')}.`);
    } else if (SCHEMA.has(key)) {
      out[key] = typeof value === 'boolean' && key === 'additionalProperties' ? value : toOpenApi30(value, at);
    } else if (SCHEMA_LIST.has(key)) {
      const list = (value as unknown[]).map((sub, i) => toOpenApi30(sub, `${at}/${i}`));
      if (key === 'allOf') allOf.push(...list);
      else out[key] = list;
    } else if (SAME.has(key)) {
      out[key] = value;
    } else {
      throw new Error(`${at}: no OpenAPI 3.0 translation for the keyword "${key}"`);
    }
  }
  if ('if' in src) {
    const cond = toOpenApi30(src.if, `${path}/if`);
    const then = 'then' in src ? toOpenApi30(src.then, `${path}/then`) : {};
    const otherwise = 'else' in src ? toOpenApi30(src.else, `${path}/else`) : {};
    allOf.push({ anyOf: [all([cond, then]), all([{ not: cond }, otherwise])] });
  }
  // `required` names a property the same schema does not describe (`not: {required: ['min']}`): describing it
  // as any value changes nothing, unless unknown properties are refused here.
  if (Array.isArray(out.required) && out.additionalProperties !== false) {
    const props = (out.properties ?? {}) as Json;
    for (const name of out.required as string[]) if (!(name in props)) props[name] = {};
    out.properties = props;
  }
  const merged = all(allOf);
  if (Object.keys(merged).length) {
    if (Object.keys(merged).some((k) => k in out)) out.allOf = merged.allOf ?? [merged];
    else Object.assign(out, merged);
  }
  if (notes.length) out.description = [out.description, ...notes].filter(Boolean).join(' ');
  return out;
}

/** The conjunction of schemas, without the empty ones (they allow anything) or a one-element `allOf`. */
function all(schemas: Json[]): Json {
  const parts = schemas.filter((s) => Object.keys(s).length > 0);
  if (parts.length === 0) return {};
  return parts.length === 1 ? parts[0] : { allOf: parts };
}
