import { RequestMethod } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AUTH_EXTENSION, AUTH_METADATA } from '../auth/authenticated.decorator.js';
import { namedError } from '../errors/named-error.js';
import { ERROR_REASONS_EXTENSION, ERROR_STATUSES_EXTENSION } from '../openapi/api-error-responses.decorator.js';
import {
  ApiController,
  type ControllerAccess,
  Endpoint,
  type EndpointOptions,
  ListRoute,
  PostAction,
} from './endpoint.decorator.js';
import type { PageWindow } from '../pagination/paginated.js';
import { Paging } from '../pagination/pagination.interceptor.js';

/** The metadata keys Nest and @nestjs/swagger write (their constants are not exported as modules). */
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
const HTTP_CODE_METADATA = '__httpCode__';
const INTERCEPTORS_METADATA = '__interceptors__';
const DECORATORS = {
  API_OPERATION: 'swagger/apiOperation',
  API_TAGS: 'swagger/apiUseTags',
  API_EXTENSION: 'swagger/apiExtension',
  API_RESPONSE: 'swagger/apiResponse',
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

function routeOf(decorator: MethodDecorator): () => void {
  class Target {
    @decorator
    handler(): void {}
  }
  return Object.getOwnPropertyDescriptor(Target.prototype, 'handler')?.value as () => void;
}

/** A list handler as ListRoute needs one: it takes its window with @Paging(). */
function listOf(decorator: MethodDecorator): () => void {
  class Target {
    @decorator
    handler(@Paging() window: PageWindow): PageWindow {
      return window;
    }
  }
  return Object.getOwnPropertyDescriptor(Target.prototype, 'handler')?.value as () => void;
}

class ThingDto {}

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

describe('PostAction', () => {
  const handler = routeOf(PostAction(':thing/enable', { summary: 'Enable a thing', errors: [TakenError] }));

  it('is a POST of the path answering 200, not the 201 of a POST', () => {
    expect(meta(METHOD_METADATA, handler)).toBe(RequestMethod.POST);
    expect(meta(PATH_METADATA, handler)).toBe(':thing/enable');
    expect(meta(HTTP_CODE_METADATA, handler)).toBe(200);
  });

  it('is documented as Endpoint documents it', () => {
    expect(meta(DECORATORS.API_OPERATION, handler)).toEqual({ summary: 'Enable a thing' });
    expect(meta(DECORATORS.API_EXTENSION, handler)).toMatchObject({ [ERROR_STATUSES_EXTENSION]: [409] });
  });
});

describe('ListRoute', () => {
  it('is a GET of the controller path by default, and of `path` when given', () => {
    const root = listOf(ListRoute(ThingDto, { summary: 'List things' }));
    const nested = listOf(ListRoute(ThingDto, { path: ':thing/parts', summary: 'List parts' }));
    expect(meta(METHOD_METADATA, root)).toBe(RequestMethod.GET);
    expect(meta(PATH_METADATA, root)).toBe('/');
    expect(meta(PATH_METADATA, nested)).toBe(':thing/parts');
  });

  it('pages without an interceptor and documents the page of its item, without `path` in the operation', () => {
    const handler = listOf(ListRoute(ThingDto, { path: ':thing/parts', summary: 'List parts' }));
    // PaginatedList wraps the handler (pagination.interceptor.ts): no rxjs chain per request, the name kept.
    expect(meta(INTERCEPTORS_METADATA, handler)).toBeUndefined();
    expect(handler.name).toBe('handler');
    const responses = meta(DECORATORS.API_RESPONSE, handler) as Record<number, { type: { name: string } }>;
    expect(responses[200].type.name).toBe('PaginatedThingList');
    expect(meta(DECORATORS.API_OPERATION, handler)).toEqual({ summary: 'List parts' });
  });
});
