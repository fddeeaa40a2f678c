import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrorResponses,
  ApiPaginatedResponse,
  Authenticated,
  type AuthUser,
  CurrentUser,
  page,
  type Paginated,
  PaginationQueryDto,
  Public,
  unauthenticated,
} from '@app/common';
import type { FastifyRequest } from 'fastify';
import { RegisterUserDto } from '../users/dto/register-user.dto.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { UsersService } from '../users/users.service.js';
import { AuthService } from './auth.service.js';
import { ApiTokenResponseDto, CreateApiTokenDto, CreatedApiTokenResponseDto } from './dto/api-token.dto.js';
import { TokenRequestDto } from './dto/token-request.dto.js';
import { TokenResponseDto } from './dto/token-response.dto.js';

function basicCredentials(header: string | undefined): { email: string; password: string } | null {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('token')
  @HttpCode(200)
  @Public()
  @ApiBasicAuth('basicAuth')
  @ApiBody({ type: TokenRequestDto, required: false, description: 'Omit when sending HTTP Basic credentials.' })
  @ApiOperation({
    summary: 'Obtain a JWT',
    description: 'Exchange an email and password (JSON body, or HTTP Basic) for a bearer token.',
  })
  token(@Req() req: FastifyRequest, @Body() body: TokenRequestDto = {}): Promise<TokenResponseDto> {
    const creds =
      body?.email !== undefined || body?.password !== undefined
        ? { email: body.email ?? '', password: body.password ?? '' }
        : basicCredentials(req.headers.authorization);
    if (!creds || !creds.email || !creds.password)
      throw unauthenticated('Send email and password, as JSON or HTTP Basic.');
    return this.auth.login(creds.email, creds.password);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'Who am I', description: 'The authenticated user.' })
  async me(@CurrentUser() caller: AuthUser): Promise<UserResponseDto> {
    // The guard has just resolved this user (through the short-lived auth cache); reuse that read.
    const user = await this.users.findForAuth(caller.id);
    if (!user) throw unauthenticated();
    return UserResponseDto.from(user);
  }

  @Post('register')
  @HttpCode(201)
  @Public()
  @ApiErrorResponses(403, 409)
  @ApiOperation({
    summary: 'Sign up',
    description: 'Create your own account. Only available when PLUGHUB_OPEN_SIGNUP is on; otherwise 403.',
  })
  async register(@Body() dto: RegisterUserDto): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.auth.register(dto));
  }

  @Get('api-tokens')
  @Authenticated()
  @ApiOperation({
    summary: 'List your API tokens',
    description: 'Your live (unrevoked) API tokens; keys are never shown.',
  })
  @ApiPaginatedResponse(ApiTokenResponseDto)
  listTokens(
    @CurrentUser() caller: AuthUser,
    @Query() query: PaginationQueryDto,
    @Req() req: FastifyRequest,
  ): Promise<Paginated<ApiTokenResponseDto>> {
    return page(req, query, (w) => this.auth.listApiTokens(caller, w), ApiTokenResponseDto.from);
  }

  @Post('api-tokens')
  @HttpCode(201)
  @Authenticated()
  @ApiOperation({
    summary: 'Create an API token',
    description: 'The answer carries the key, once. Use it as `Authorization: Token <key>`.',
  })
  async createToken(
    @CurrentUser() caller: AuthUser,
    @Body() dto: CreateApiTokenDto,
  ): Promise<CreatedApiTokenResponseDto> {
    const { token, key } = await this.auth.createApiToken(caller, dto);
    const { id, name, scopes, expires_at, created_at } = ApiTokenResponseDto.from(token);
    return { id, name, key, scopes, expires_at, created_at };
  }

  @Delete('api-tokens/:id')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({ summary: 'Revoke an API token', description: 'The token stops working immediately.' })
  async revokeToken(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<void> {
    await this.auth.revokeApiToken(caller, id);
  }
}
