import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { type AuthUser, Authenticated, OptionallyAuthenticated, Public } from '@app/common';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { GlobalAuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';

@Controller('things')
class ThingsController {
  @Get('open')
  @Public()
  open() {}

  @Get('maybe')
  @OptionallyAuthenticated()
  maybe() {}

  @Get('admin')
  @Authenticated({ roles: ['admin'] })
  admin() {}

  @Get('plain')
  plain() {}
}

@Authenticated({ roles: ['reviewer'] })
class ReviewsController extends ThingsController {}

const USER: AuthUser = { id: 'u1', email: 'u1@x.test', name: 'U', roles: ['user'], method: 'jwt', scopes: null };

type Request = { method: string; headers: Record<string, string>; user?: AuthUser };
const contextOf = (cls: object, handler: () => void, request: Request) =>
  new ExecutionContextHost([request, {}, undefined], cls as never, handler);
const get = (authorization?: string): Request => ({
  method: 'GET',
  headers: authorization === undefined ? {} : { authorization },
});

let auth: ReturnType<typeof strictMock<AuthService>>;
let reflector: Reflector;
let guard: GlobalAuthGuard;

beforeEach(() => {
  auth = strictMock(AuthService);
  reflector = new Reflector();
  guard = new GlobalAuthGuard(reflector, auth);
});

const proto = ThingsController.prototype;

/** What `run` throws synchronously (undefined when it returns). */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('GlobalAuthGuard', () => {
  it('lets a public route through without reading credentials', async () => {
    expect(await guard.canActivate(contextOf(ThingsController, proto.open, get('Bearer x')))).toBe(true);
  });

  it('checks credentials on an optional route only when they are sent', async () => {
    expect(await guard.canActivate(contextOf(ThingsController, proto.maybe, get()))).toBe(true);
    auth.authenticate.mockResolvedValue(null);
    await expect(guard.canActivate(contextOf(ThingsController, proto.maybe, get('Bearer bad')))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses a route without a requirement to a request without credentials', async () => {
    auth.authenticate.mockResolvedValue(null);
    await expect(guard.canActivate(contextOf(ThingsController, proto.plain, get()))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('names the refused caller on the request before a missing role is answered', async () => {
    auth.authenticate.mockResolvedValue(USER);
    const request = get('Bearer good');
    await expect(guard.canActivate(contextOf(ThingsController, proto.admin, request))).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'missing_role' },
    });
    expect(request.user?.id).toBe('u1');
  });

  it('reads a handler’s requirement once, and apart for each controller class', async () => {
    auth.authenticate.mockResolvedValue(USER);
    const read = vi.spyOn(reflector, 'getAllAndOverride');
    for (let i = 0; i < 3; i++) {
      expect(await guard.canActivate(contextOf(ThingsController, proto.plain, get('Bearer good')))).toBe(true);
    }
    expect(read).toHaveBeenCalledTimes(1);
    // The same inherited handler under a class that asks for a role the user lacks.
    await expect(
      guard.canActivate(contextOf(ReviewsController, proto.plain, get('Bearer good'))),
    ).rejects.toMatchObject({ details: { reason: 'missing_role' } });
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('answers synchronously when the caller is known without a lookup, and refuses at once', () => {
    auth.authenticate.mockReturnValue(USER);
    const request = get('Bearer cached');
    expect(guard.canActivate(contextOf(ThingsController, proto.plain, request))).toBe(true);
    expect(request.user?.id).toBe('u1');
    expect(
      thrownBy(() => guard.canActivate(contextOf(ThingsController, proto.admin, get('Bearer cached')))),
    ).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'missing_role' } });
    auth.authenticate.mockReturnValue(null);
    expect(
      thrownBy(() => guard.canActivate(contextOf(ThingsController, proto.plain, get('Bearer bad')))),
    ).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
