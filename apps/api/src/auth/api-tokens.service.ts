import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, type PageWindow, type Slice } from '@app/common';
import { newApiKey } from './api-key.js';
import { apiTokenNotFound, TokenAlreadyExpiredError, TokenScopeEscalationError } from './auth.errors.js';
import { ApiTokenResponseDto, type CreateApiTokenDto, CreatedApiTokenResponseDto } from './dto/api-token.dto.js';
import { ApiTokenRepository } from './persistence/api-token.repository.js';
import { scopesWithin } from './token-scopes.js';

/** A user's API tokens: created with the key shown once, listed without it, revoked at once. */
@Injectable()
export class ApiTokensService {
  constructor(
    private readonly tokens: ApiTokenRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async create(caller: AuthUser, dto: CreateApiTokenDto): Promise<CreatedApiTokenResponseDto> {
    const expiresAt = dto.expires_at ? new Date(dto.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= this.clock.nowMs()) throw new TokenAlreadyExpiredError();
    const scopes = dto.scopes ?? [];
    if (!scopesWithin(scopes, caller.scopes)) throw new TokenScopeEscalationError();
    const { key, hash, prefix } = newApiKey();
    const token = await this.tokens.create({
      userId: caller.id,
      name: dto.name,
      keyHash: hash,
      keyPrefix: prefix,
      scopes,
      expiresAt,
    });
    return CreatedApiTokenResponseDto.fromCreated(token, key);
  }

  async list(caller: AuthUser, window: PageWindow): Promise<Slice<ApiTokenResponseDto>> {
    const slice = await this.tokens.listLive(caller.id, window);
    return { count: slice.count, items: slice.items.map((t) => ApiTokenResponseDto.from(t)) };
  }

  async revoke(caller: AuthUser, id: string): Promise<void> {
    if (!(await this.tokens.revoke(caller.id, id, this.clock.now()))) throw apiTokenNotFound();
  }
}
