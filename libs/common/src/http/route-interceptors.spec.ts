import {
  type CallHandler,
  Controller,
  Delete,
  Get,
  Injectable,
  type NestInterceptor,
  Patch,
  Post,
} from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { interceptRoutes, MUTATING_REQUEST_METHODS } from './route-interceptors.js';

@Injectable()
class Noting implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

@Injectable()
class Other implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler) {
    return next.handle();
  }
}

@Controller('things')
class ThingsController {
  @Get()
  list() {
    return [];
  }

  @Post()
  create() {
    return {};
  }

  @Patch(':id')
  update() {
    return {};
  }

  @Delete(':id')
  remove() {
    return undefined;
  }

  helper() {
    return 'not a route';
  }
}

const interceptorsOf = (name: keyof ThingsController) =>
  (Reflect.getMetadata(INTERCEPTORS_METADATA, ThingsController.prototype[name]) as unknown[] | undefined) ?? [];

async function discovery(): Promise<DiscoveryService> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers: [ThingsController],
  }).compile();
  return moduleRef.get(DiscoveryService);
}

describe('interceptRoutes', () => {
  it('puts the interceptor on the mutating route handlers only, outermost', async () => {
    const other = new Other();
    Reflect.defineMetadata(INTERCEPTORS_METADATA, [other], ThingsController.prototype.update);
    const noting = new Noting();
    expect(interceptRoutes(await discovery(), noting, (m) => MUTATING_REQUEST_METHODS.has(m))).toBe(3);
    expect(interceptorsOf('create')).toEqual([noting]);
    expect(interceptorsOf('update')).toEqual([noting, other]);
    expect(interceptorsOf('remove')).toEqual([noting]);
    expect(interceptorsOf('list')).toEqual([]);
    expect(interceptorsOf('helper')).toEqual([]);
  });

  it('replaces the instance an earlier application put there instead of stacking a second', async () => {
    const first = new Noting();
    const second = new Noting();
    interceptRoutes(await discovery(), first, (m) => MUTATING_REQUEST_METHODS.has(m));
    interceptRoutes(await discovery(), second, (m) => MUTATING_REQUEST_METHODS.has(m));
    expect(interceptorsOf('create')).toEqual([second]);
    expect(interceptorsOf('update').filter((i) => i instanceof Noting)).toEqual([second]);
  });
});
