import { Body, Param, Patch, Put, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ApiHeader, ApiOkResponse, ApiParam } from '@nestjs/swagger';
import { describe, expect, it } from 'vitest';
import { Twin } from './twin.decorator.js';

/** Where @nestjs/swagger keeps a handler's documented parameters and responses. */
const API_PARAMETERS = 'swagger/apiParameters';
const API_RESPONSE = 'swagger/apiResponse';

const HEADER = ApiHeader({ name: 'Idempotency-Key', required: false });

@Twin('patch', 'put', Patch('things/:id'), HEADER, ApiOkResponse({ description: 'patched' }))
class Things {
  readonly calls: unknown[][] = [];

  @Put('things/:id')
  @HEADER
  @ApiParam({ name: 'id', description: 'The thing.' })
  put(@Param('id') id: string, @Body() body: { name: string }): string {
    this.calls.push([id, body]);
    return `${id}:${body.name}`;
  }
}

type Handler = (...args: unknown[]) => unknown;
const handler = (name: string) => (Things.prototype as unknown as Record<string, Handler>)[name];

describe('Twin', () => {
  it('routes the twin under its own method and path', () => {
    expect([
      Reflect.getMetadata(METHOD_METADATA, handler('patch')),
      Reflect.getMetadata(PATH_METADATA, handler('patch')),
    ]).toEqual([RequestMethod.PATCH, 'things/:id']);
  });

  it('leaves the source its own route', () => {
    expect(Reflect.getMetadata(METHOD_METADATA, handler('put'))).toBe(RequestMethod.PUT);
  });

  it("gives the twin the source's parameter table", () => {
    expect(Reflect.getMetadata(ROUTE_ARGS_METADATA, Things, 'patch')).toEqual(
      Reflect.getMetadata(ROUTE_ARGS_METADATA, Things, 'put'),
    );
  });

  it("gives the twin the source's parameter types", () => {
    expect(Reflect.getMetadata('design:paramtypes', Things.prototype, 'patch')).toEqual([String, Object]);
  });

  it('runs the source body on the same instance with the same arguments', () => {
    const things = new Things();
    expect([handler('patch').call(things, '7', { name: 'a' }), things.calls]).toEqual(['7:a', [['7', { name: 'a' }]]]);
  });

  it('documents a parameter its own decorators repeat once', () => {
    const names = (Reflect.getMetadata(API_PARAMETERS, handler('patch')) as { name: string }[]).map((p) => p.name);
    expect(names.sort()).toEqual(['Idempotency-Key', 'id']);
  });

  it('documents only its own responses', () => {
    expect(Reflect.getMetadata(API_RESPONSE, handler('patch'))).toEqual({
      200: expect.objectContaining({ description: 'patched' }) as unknown,
    });
  });

  it('refuses a source that is not a handler', () => {
    expect(() => Twin('b', 'missing')(class Empty {})).toThrow();
  });

  it('refuses a name the class already has', () => {
    expect(() => Twin('put', 'put')(Things)).toThrow();
  });
});
