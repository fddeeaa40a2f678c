import { describe, expect, it } from 'vitest';
import { AUTH_EXTENSION, AUTH_METADATA } from '../auth/authenticated.decorator.js';
import { namedError } from '../errors/named-error.js';
import { ERROR_REASONS_EXTENSION, ERROR_STATUSES_EXTENSION } from '../openapi/api-error-responses.decorator.js';
import { ApiController, type ControllerAccess, Endpoint, type EndpointOptions } from './endpoint.decorator.js';

/** The metadata keys Nest and @nestjs/swagger write (their constants are not exported as modules). */
const PATH_METADATA = 'path';
const DECORATORS = {
  API_OPERATION: 'swagger/apiOperation',
  API_TAGS: 'swagger/apiUseTags',
  API_EXTENSION: 'swagger/apiExtension',
};

class TakenError extends namedError('CONFLICT', 'taken', 'the name is taken') {}
class TooBigError extends namedError('LIMIT_EXCEEDED', 'too_big', 'over the limit') {}

function handlerOf(options: EndpointOptions): () => void {
  class Target {
    @Endpoint(options)
    handler(): void {}
  }
  return Object.getOwnPropertyDescriptor(Target.prototype, 'handler')?.value as () => void;
}

function controllerOf(access?: ControllerAccess): object {
  @ApiController('things', 'things', access)
  class Things {}
  return Things;
}

const meta = (key: string, target: object): unknown => Reflect.getMetadata(key, target);

describe('Endpoint', () => {
  it('documents the summary and the description', () => {
    expect(meta(DECORATORS.API_OPERATION, handlerOf({ summary: 'List things', description: 'All of them.' }))).toEqual({
      summary: 'List things',
      description: 'All of them.',
    });
  });

  it('leaves out a description that is not given', () => {
    expect(meta(DECORATORS.API_OPERATION, handlerOf({ summary: 'List things' }))).toEqual({ summary: 'List things' });
  });

  it('documents the statuses and reasons of the named errors', () => {
    const extensions = meta(DECORATORS.API_EXTENSION, handlerOf({ summary: 's', errors: [TakenError, TooBigError] }));
    expect(extensions).toMatchObject({
      [ERROR_STATUSES_EXTENSION]: [409, 422],
      [ERROR_REASONS_EXTENSION]: [
        { status: 409, code: 'CONFLICT', reason: 'taken' },
        { status: 422, code: 'LIMIT_EXCEEDED', reason: 'too_big' },
      ],
    });
  });

  it('declares no error extension without errors', () => {
    expect(meta(DECORATORS.API_EXTENSION, handlerOf({ summary: 's' }))).toBeUndefined();
  });
});

describe('ApiController', () => {
  it('sets the route prefix and the tag', () => {
    const cls = controllerOf();
    expect([meta(PATH_METADATA, cls), meta(DECORATORS.API_TAGS, cls)]).toEqual(['things', ['things']]);
  });

  it('requires authentication by default, for the guard and the document alike', () => {
    const cls = controllerOf();
    expect([
      meta(AUTH_METADATA, cls),
      (meta(DECORATORS.API_EXTENSION, cls) as Record<string, unknown>)[AUTH_EXTENSION],
    ]).toEqual([{}, {}]);
  });

  it('requires the roles it is given', () => {
    expect(meta(AUTH_METADATA, controllerOf({ roles: ['admin'] }))).toEqual({ roles: ['admin'] });
  });

  it('makes a public controller public', () => {
    expect(meta(AUTH_METADATA, controllerOf('public'))).toEqual({ public: true });
  });

  it('declares nothing on a per-route controller', () => {
    expect(meta(AUTH_METADATA, controllerOf('per-route'))).toBeUndefined();
  });
});
