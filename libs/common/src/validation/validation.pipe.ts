import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
import { AppError, validationError, type FieldError } from '../errors/app-error.js';
import {
  hasValidationRules,
  isArrayProperty,
  isKnownProperty,
  isNullableProperty,
  requiredProperties,
} from './property-rules.js';
import { ValidatedQueries } from './validated-queries.js';

/** At most this many field errors are listed; `details.omitted_errors` counts the rest. */
export const MAX_FIELD_ERRORS = 100;

const REQUIRED = { isRequired: 'is required' };
const NOT_NULL = { isNotNull: 'must not be null' };
const UNKNOWN = { whitelistValidation: 'is not an allowed property' };

/**
 * Flattens class-validator's tree into one entry per bad field, with dotted paths (`config.batch_size`). A field
 * that is not an object where one is declared is one entry: ValidateNested still walks it (each element of an
 * array), and what it finds inside something refused as a whole is noise.
 */
export function flattenValidationErrors(errors: ValidationError[], prefix = '', out: FieldError[] = []): FieldError[] {
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) out.push({ field, message: Object.values(error.constraints).join('; ') });
    if (error.children?.length && error.constraints?.isObject === undefined) {
      flattenValidationErrors(error.children, field, out);
    }
  }
  return out;
}

/** The VALIDATION_ERROR for a list of field errors, cut to MAX_FIELD_ERRORS. */
export function fieldErrors(errors: FieldError[]): AppError {
  if (errors.length <= MAX_FIELD_ERRORS) return validationError(errors);
  const error = validationError(errors.slice(0, MAX_FIELD_ERRORS));
  error.details.omitted_errors = errors.length - MAX_FIELD_ERRORS;
  return error;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);

/**
 * Rewrites class-validator's errors by presence: a required field that is absent gets one "is
 * required" instead of every rule it fails; a null where the contract does not allow null gets
 * "must not be null". Then adds "must not be null" for optional fields, which @IsOptional() lets
 * through as null (in this API an optional field may be omitted, but never null unless the contract
 * says `nullable`), and "is required" for absent nested objects.
 */
function applyPresenceRules(parent: unknown, errors: ValidationError[]): ValidationError[] {
  if (!parent || typeof parent !== 'object') return errors;
  const holder = parent as Record<string, unknown>;
  const cls = Array.isArray(parent) ? undefined : parent.constructor;
  const byProperty = new Map<string, ValidationError>();
  for (const error of errors) {
    byProperty.set(error.property, error);
    const value = holder[error.property];
    if (error.constraints?.unknownValue !== undefined) continue;
    if (error.constraints?.whitelistValidation !== undefined) {
      error.constraints = { ...UNKNOWN };
    } else if (value === undefined && error.constraints) {
      error.constraints = { ...REQUIRED };
      error.children = [];
    } else if (
      value === null &&
      error.constraints &&
      !(hasValidationRules(cls) && isNullableProperty(cls, error.property))
    ) {
      error.constraints = { ...NOT_NULL };
      error.children = [];
    } else if (error.children?.length) {
      error.children = applyPresenceRules(value, error.children);
    }
  }
  const added = omittedErrors(holder, cls, byProperty);
  return added.length ? [...errors, ...added] : errors;
}

/**
 * Errors the validators leave out, found by walking the validated instance: nulls in optional fields,
 * and absent required nested objects (class-validator skips nested validation of undefined).
 */
function omittedErrors(holder: Record<string, unknown>, cls: unknown, existing: Map<string, ValidationError>) {
  const added: ValidationError[] = [];
  const isDto = hasValidationRules(cls);
  const isArray = Array.isArray(holder);
  // Only DTO instances and arrays of them are walked: free-form objects (a manifest) have no contract here.
  if (!isDto && !isArray) return added;
  if (isDto) {
    for (const property of requiredProperties(cls)) {
      if (holder[property] === undefined && !existing.has(property)) {
        added.push({ property, value: undefined, constraints: { ...REQUIRED }, children: [] });
      }
    }
  }
  for (const property of Object.keys(holder)) {
    if (existing.has(property)) continue;
    const value = holder[property];
    if (value === null) {
      if (isDto && isKnownProperty(cls, property) && !isNullableProperty(cls, property)) {
        added.push({ property, value, constraints: { ...NOT_NULL }, children: [] });
      }
    } else if (Array.isArray(value) || (isRecord(value) && hasValidationRules(value.constructor))) {
      const children = omittedErrors(
        value as Record<string, unknown>,
        isRecord(value) ? value.constructor : undefined,
        new Map(),
      );
      if (children.length) added.push({ property, value, children });
    }
  }
  return added;
}

/** Problems visible in the plain value itself, before class-transformer and class-validator see it. */
function shapeErrors(cls: Parameters<typeof isKnownProperty>[0], value: Json, type: ArgumentMetadata['type']) {
  const errors: FieldError[] = [];
  for (const key of Object.keys(value)) {
    if (!isKnownProperty(cls, key)) errors.push({ field: key, message: UNKNOWN.whitelistValidation });
    else if (type === 'query' && Array.isArray(value[key]) && !isArrayProperty(cls, key)) {
      errors.push({ field: key, message: 'must be given once' });
    }
  }
  return errors;
}

/** Keys Nest's pipe (stripProtoKeys) and class-transformer drop without a word, so whitelisting never sees them. */
const DROPPED_KEYS = new Set(['constructor', '__proto__', 'prototype']);

/** Where the value has an own key in DROPPED_KEYS, below its top level (shapeErrors sees that one), as key paths. */
function droppedKeyPaths(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (typeof value !== 'object' || value === null) return out;
  for (const key of Object.keys(value)) {
    if (path.length && DROPPED_KEYS.has(key)) out.push([...path, key]);
    droppedKeyPaths((value as Json)[key], [...path, key], out);
  }
  return out;
}

/**
 * The dropped keys that sat in an object which became a nested DTO (`limits.constructor`, `items.0.__proto__`):
 * undeclared fields, refused like any other. In a free-form object (no DTO) they are left as they were.
 */
function droppedFieldErrors(paths: string[][], result: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const path of paths) {
    let parent: unknown = result;
    for (const key of path.slice(0, -1))
      parent = typeof parent === 'object' && parent !== null ? (parent as Json)[key] : undefined;
    if (typeof parent !== 'object' || parent === null) continue;
    const cls = (Object.getPrototypeOf(parent) as { constructor?: unknown } | null)?.constructor;
    if (hasValidationRules(cls)) errors.push({ field: path.join('.'), message: UNKNOWN.whitelistValidation });
  }
  return errors;
}

/** Adds errors for fields not yet listed, keeping the list bounded. */
function withErrors(error: AppError, more: FieldError[]): AppError {
  const listed = new Set(error.errors.map((e) => e.field));
  const merged = fieldErrors([...error.errors, ...more.filter((e) => !listed.has(e.field))]);
  const omitted = Number(error.details.omitted_errors ?? 0) + Number(merged.details.omitted_errors ?? 0);
  if (omitted) merged.details.omitted_errors = omitted;
  return merged;
}

/**
 * The global pipe. Before class-transformer sees a value it refuses a body that is not a JSON
 * object, and a flood of undeclared fields at once (class-transformer's cost grows with the square
 * of an object's keys). Then it validates, converting query strings to the declared types, applies
 * the presence rules above and reports every invalid field at once: undeclared ones too, including
 * names class-validator passes over (`constructor`), and repeated query parameters the contract
 * declares as single values.
 */
export class PlughubValidationPipe extends ValidationPipe {
  /** Queries validated before and the DTO each became (validated-queries.ts). */
  readonly queries = new ValidatedQueries();

  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => fieldErrors(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (!metatype || !this.toValidate(metadata) || !hasValidationRules(metatype)) {
      return super.transform(value, metadata);
    }
    if (metadata.type === 'body' && !metadata.data && value !== undefined && !isRecord(value)) {
      throw new AppError('VALIDATION_ERROR', 'The body must be a JSON object.', [], { reason: 'body_not_object' });
    }
    const kept = metadata.type === 'query' && isRecord(value) ? this.queries.keyOf(metatype, value) : undefined;
    const hit = kept === undefined ? undefined : this.queries.get(kept, metatype);
    if (hit) return hit;
    const early = isRecord(value) ? shapeErrors(metatype, value, metadata.type) : [];
    if (early.length > MAX_FIELD_ERRORS) throw fieldErrors(early);
    const dropped = metadata.type === 'body' ? droppedKeyPaths(value) : [];
    let result: unknown;
    try {
      result = await super.transform(value, metadata);
    } catch (err) {
      if (early.length && err instanceof AppError && err.code === 'VALIDATION_ERROR') throw withErrors(err, early);
      throw err;
    }
    if (early.length) throw fieldErrors(early);
    const undeclared = dropped.length ? droppedFieldErrors(dropped, result) : [];
    if (undeclared.length) throw fieldErrors(undeclared);
    if (kept !== undefined) this.queries.keep(kept, metatype, result);
    return result;
  }

  protected override async validate(object: object, options?: ValidatorOptions): Promise<ValidationError[]> {
    return applyPresenceRules(object, await super.validate(object, options));
  }
}

export function createValidationPipe(): ValidationPipe {
  return new PlughubValidationPipe();
}
