import { Body, Delete, Get, Headers, HttpCode, Ip, Post, Query, Res } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ApiController, Authenticated, CurrentUser, Endpoint, ObjectIdParam, PaginatedList } from '@app/common';
import { PaginationQueryDto, Paging, Public, unauthenticated } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { RegisterUserDto } from '../users/dto/register-user.dto.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { EmailTakenError } from '../users/users.errors.js';
import { ApiTokensService } from './api-tokens.service.js';
import type { FastifyReply } from 'fastify';
import {
  LoginRateLimitedError,
  SignupDisabledError,
  TokenAlreadyExpiredError,
  TokenScopeEscalationError,
} from './auth.errors.js';
import { AuthService } from './auth.service.js';
import { ApiTokenResponseDto, CreateApiTokenDto, CreatedApiTokenResponseDto } from './dto/api-token.dto.js';
import { TokenRequestDto } from './dto/token-request.dto.js';
import { TokenResponseDto } from './dto/token-response.dto.js';

/** The credentials of a token request: the JSON body when it has any, else HTTP Basic. */
function credentials(body: TokenRequestDto | undefined, authorization: string | undefined) {
  if (body?.email !== undefined || body?.password !== undefined) {
    return { email: body.email ?? '', password: body.password ?? '' };
  }
  const match = authorization ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

@ApiController('auth', 'auth', 'per-route')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly tokens: ApiTokensService,
  ) {}

  @Post('token')
  @HttpCode(200)
  @Public({ basicAuth: true })
  @ApiBody({
    type: TokenRequestDto,
    required: false,
    description: 'Email and password; empty (`{}`) or omitted when they come as HTTP Basic credentials.',
  })
  @Endpoint({
    summary: 'Obtain a JWT',
    description:
      'Exchange an email and password for a bearer token, sent either as the JSON body `{email, password}` or ' +
      'as HTTP Basic credentials (`Authorization: Basic base64(email:password)`) with an empty or `{}` body. ' +
      'A body that names an email or a password is used instead of Basic. Failed logins are ' +
      'throttled per account and per client address (PLUGHUB_LOGIN_MAX_FAILURES, …): past the limit every login ' +
      'for them answers 429 with a `Retry-After` header until the window ends. Successful logins do not count.',
    errors: [LoginRateLimitedError],
  })
  async token(
    @Headers('authorization') authorization: string | undefined,
    @Ip() address: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: TokenRequestDto = {},
  ): Promise<TokenResponseDto> {
    const creds = credentials(body, authorization);
    if (!creds?.email || !creds.password) throw unauthenticated('Send email and password, as JSON or HTTP Basic.');
    try {
      return await this.auth.login(creds.email, creds.password, address);
    } catch (err) {
      if (err instanceof LoginRateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
      throw err;
    }
  }

  @Get('me')
  @Authenticated()
  @Endpoint({ summary: 'Who am I', description: 'The authenticated user.' })
  me(@CurrentUser() caller: AuthUser): Promise<UserResponseDto> {
    return this.auth.me(caller);
  }

  @Post('register')
  @HttpCode(201)
  @Public()
  @Endpoint({
    summary: 'Sign up',
    description: 'Create your own account. Only available when PLUGHUB_OPEN_SIGNUP is on; otherwise 403.',
    errors: [SignupDisabledError, EmailTakenError],
  })
  register(@Body() dto: RegisterUserDto): Promise<UserResponseDto> {
    return this.auth.register(dto);
  }

  @Get('api-tokens')
  @Authenticated()
  @Endpoint({ summary: 'List your API tokens', description: 'Your live (unrevoked) API tokens; keys are never shown.' })
  @PaginatedList(ApiTokenResponseDto)
  listTokens(
    @CurrentUser() caller: AuthUser,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<ApiTokenResponseDto>> {
    return this.tokens.list(caller, window);
  }

  @Post('api-tokens')
  @HttpCode(201)
  @Authenticated()
  @Endpoint({
    summary: 'Create an API token',
    description: 'The answer carries the key, once. Use it as `Authorization: Token <key>`.',
    errors: [TokenScopeEscalationError, TokenAlreadyExpiredError],
  })
  createToken(@CurrentUser() caller: AuthUser, @Body() dto: CreateApiTokenDto): Promise<CreatedApiTokenResponseDto> {
    return this.tokens.create(caller, dto);
  }

  @Delete('api-tokens/:id')
  @HttpCode(204)
  @Authenticated()
  @Endpoint({ summary: 'Revoke an API token', description: 'The token stops working immediately.' })
  async revokeToken(@CurrentUser() caller: AuthUser, @ObjectIdParam('id', 'API token') id: string): Promise<void> {
    await this.tokens.revoke(caller, id);
  }
}
