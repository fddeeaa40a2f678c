import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';

// Where @nestjs/swagger keeps what @ApiProperty() and its CLI plugin say about a property
// (DECORATORS.API_MODEL_PROPERTIES and METADATA_FACTORY_NAME there; neither is exported). Reading
// the contract's own record of nullability means validation and the documented schema cannot drift.
const SWAGGER_PROPERTY = 'swagger/apiModelProperties';
const SWAGGER_PLUGIN_FACTORY = '_OPENAPI_METADATA_FACTORY';

type Constructor = abstract new (...args: never[]) => unknown;

interface SwaggerProperty {
  nullable?: unknown;
  type?: unknown;
  isArray?: unknown;
}

interface ClassRules {
  /** Properties class-validator knows: anything else is an unknown field. */
  known: Set<string>;
  /** Properties the contract marks `nullable`. */
  nullable: Set<string>;
  /** Properties validated unconditionally (no @IsOptional() or @ValidateIf()): they must be present. */
  required: Set<string>;
  /** Properties the contract types as arrays (a query parameter that may be repeated). */
  arrays: Set<string>;
}

const cache = new WeakMap<Constructor, ClassRules>();

function pluginMetadata(cls: Constructor): Record<string, SwaggerProperty> {
  const own = Object.prototype.hasOwnProperty.call(cls, SWAGGER_PLUGIN_FACTORY)
    ? (cls as unknown as Record<string, unknown>)[SWAGGER_PLUGIN_FACTORY]
    : undefined;
  return typeof own === 'function' ? ((own as () => Record<string, SwaggerProperty>)() ?? {}) : {};
}

/** What the contract says of each property: @ApiProperty() wins over the CLI plugin, as in the document. */
function swaggerProperties(cls: Constructor, properties: Iterable<string>): Map<string, SwaggerProperty> {
  const out = new Map<string, SwaggerProperty>();
  // The plugin's metadata sits on each class of the chain as a static factory of that class's own fields.
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    for (const [property, meta] of Object.entries(pluginMetadata(c as Constructor))) {
      if (!out.has(property)) out.set(property, meta ?? {});
    }
  }
  for (const property of properties) {
    const decorated = Reflect.getMetadata(SWAGGER_PROPERTY, cls.prototype as object, property) as
      SwaggerProperty | undefined;
    if (decorated) out.set(property, { ...out.get(property), ...decorated });
  }
  return out;
}

/** `type: [String]`, `type: 'array'`, `isArray: true`, or the plugin's lazy `type: () => [String]`. */
function isArrayType(meta: SwaggerProperty): boolean {
  if (meta.isArray === true || meta.type === 'array' || Array.isArray(meta.type)) return true;
  const thunk = meta.type;
  // A class (String, a DTO) has a prototype; the plugin's arrow function does not.
  if (typeof thunk === 'function' && (thunk as { prototype?: unknown }).prototype === undefined) {
    return Array.isArray((thunk as () => unknown)());
  }
  return false;
}

function rulesOf(cls: Constructor): ClassRules {
  const cached = cache.get(cls);
  if (cached) return cached;
  const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', false, false);
  const known = new Set(metadata.map((m) => m.propertyName));
  const conditional = new Set(metadata.filter((m) => m.type === 'conditionalValidation').map((m) => m.propertyName));
  const required = new Set([...known].filter((p) => !conditional.has(p)));
  const contract = swaggerProperties(cls, known);
  const nullable = new Set([...known].filter((p) => contract.get(p)?.nullable === true));
  const arrays = new Set([...known].filter((p) => isArrayType(contract.get(p) ?? {})));
  const rules = { known, nullable, required, arrays };
  cache.set(cls, rules);
  return rules;
}

/** Whether a validated class declares this property (with any class-validator decorator). */
export function isKnownProperty(cls: Constructor, property: string): boolean {
  return rulesOf(cls).known.has(property);
}

/** The properties that must be present on an instance of the class. */
export function requiredProperties(cls: Constructor): ReadonlySet<string> {
  return rulesOf(cls).required;
}

/** Whether the contract lets this property be null (`nullable: true` in its Swagger metadata). */
export function isNullableProperty(cls: Constructor, property: string): boolean {
  return rulesOf(cls).nullable.has(property);
}

/** Whether the contract types this property as an array (so a query parameter may be repeated). */
export function isArrayProperty(cls: Constructor, property: string): boolean {
  return rulesOf(cls).arrays.has(property);
}

/** Whether instances of the class are validated by declared rules (a DTO), as opposed to free-form objects. */
export function hasValidationRules(cls: unknown): cls is Constructor {
  return typeof cls === 'function' && cls !== Object && rulesOf(cls as Constructor).known.size > 0;
}
