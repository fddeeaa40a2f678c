import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { fieldsError, namedError } from './named-error.js';

class WidgetTakenError extends namedError('CONFLICT', 'widget_taken', 'another widget has the name') {
  constructor(name: string) {
    super(`The widget ${name} exists.`, { name }, [{ field: 'name', message: 'is already taken' }]);
  }
}

class WidgetFieldsError extends fieldsError(
  'VALIDATION_ERROR',
  'widget_fields',
  'a widget field is out of range',
  'The widget does not fit.',
) {}

describe('namedError', () => {
  it('is an AppError whose status follows its code and whose details carry the reason', () => {
    const err = new WidgetTakenError('w1');
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'CONFLICT',
      status: 409,
      name: 'WidgetTakenError',
      details: { name: 'w1', reason: 'widget_taken' },
      errors: [{ field: 'name', message: 'is already taken' }],
    });
  });

  it('exposes code, reason and description on the class for the documentation', () => {
    expect([WidgetTakenError.code, WidgetTakenError.reason, WidgetTakenError.description]).toEqual([
      'CONFLICT',
      'widget_taken',
      'another widget has the name',
    ]);
  });
});

describe('fieldsError', () => {
  it('is a named error whose details hold only the reason and whose errors are the ones given', () => {
    const err = new WidgetFieldsError([{ field: 'size', message: 'must be at most 3' }]);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'VALIDATION_ERROR',
      status: 400,
      name: 'WidgetFieldsError',
      details: { reason: 'widget_fields' },
      errors: [{ field: 'size', message: 'must be at most 3' }],
    });
  });

  it('exposes code, reason and description on the class for the documentation', () => {
    expect([WidgetFieldsError.code, WidgetFieldsError.reason, WidgetFieldsError.description]).toEqual([
      'VALIDATION_ERROR',
      'widget_fields',
      'a widget field is out of range',
    ]);
  });
});
