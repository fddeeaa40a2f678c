import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { validationError, type FieldError } from '../errors/app-error.js';

/** Flattens class-validator's tree into one entry per bad field, with dotted paths (`config.batch_size`). */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) {
      out.push({ field, message: Object.values(error.constraints).join('; ') });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * The global pipe: strips nothing silently (unknown properties are errors), converts query strings
 * to the declared types and reports every invalid field at once.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationError(flattenValidationErrors(errors)),
  });
}
