import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, hasRole } from '@app/common';
import { RuntimeError, type RuntimeErrorCode } from '@app/runtime';
import { AccessService } from '../auth/access.service.js';
import { NotInstalledError, PluginKilledError } from '../installation/installation.errors.js';
import { NO_ANSWER } from '../runtime/in-process-message-router.js';
import type { JsonValue } from './bus/index.js';
import { BusMessageRouter } from './bus-message-router.js';
import {
  type BroadcastDto,
  type BroadcastFailureReason,
  type BroadcastResultDto,
  MESSAGE_TIMEOUT,
  type MessageReplyDto,
  type MessageResultDto,
  type SendMessageDto,
} from './dto/message.dto.js';
import type { BusMessage } from './installation-hosting.js';
import {
  BroadcastScopeError,
  BusUnavailableError,
  MessageTimeoutError,
  ReceiveNotGrantedError,
  SenderInactiveError,
  SendNotGrantedError,
  TargetInactiveError,
  TargetNotFoundError,
  TargetNotRunningError,
} from './messaging.errors.js';
import { INSTALLATION_DIRECTORY, type InstallationDirectory, type MessageParty } from './messaging.ports.js';

/** Router failures that are the platform's (no answer, nobody serving, no bus), not the target plugin's. */
const PLATFORM_FAILURES: Partial<Record<RuntimeErrorCode, Exclude<BroadcastFailureReason, 'error'>>> = {
  PLUGIN_TIMEOUT: 'timeout',
  PLUGIN_NOT_LOADED: 'not_running',
  PLUGIN_FAILED: 'not_running',
  RUNTIME_CLOSED: 'not_running',
  PLUGIN_UNREACHABLE: 'unavailable',
};

/** What a send through the router ended with, as the API reports it. */
type Outcome =
  | { kind: 'reply'; reply: MessageReplyDto }
  | { kind: 'failed'; reason: Exclude<BroadcastFailureReason, 'error'>; error: RuntimeError };

/**
 * Messages sent through the API (POST /api/plugins/{plugin}/message/ and /api/plugins/broadcast/), carried by
 * the same BusMessageRouter as `context.messages.send` from the sandbox, so they reach the target on whichever
 * node runs it. Which installations take part comes from INSTALLATION_DIRECTORY.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly router: BusMessageRouter,
    private readonly access: AccessService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(INSTALLATION_DIRECTORY) private readonly directory: InstallationDirectory,
  ) {}

  /**
   * Sends from the caller's installation of `senderKey` (or, when the target is `senderKey` itself, from the
   * caller) to their installation of the target, and waits for its answer.
   */
  async send(caller: AuthUser, senderKey: string, body: SendMessageDto): Promise<MessageResultDto> {
    const direct = body.target_plugin === senderKey;
    if (!direct) {
      const sender = await this.directory.servingUser(caller.id, senderKey);
      if (!sender) throw new NotInstalledError(senderKey);
      assertOn(sender, () => new SenderInactiveError(senderKey));
      if (!sender.grants.includes('messages:send')) throw new SendNotGrantedError(senderKey);
    }
    const target = await this.directory.servingUser(caller.id, body.target_plugin);
    if (!target) throw new TargetNotFoundError(body.target_plugin);
    assertOn(target, () => new TargetInactiveError(target.pluginKey));
    if (!target.grants.includes('messages:receive')) throw new ReceiveNotGrantedError(target.pluginKey);

    const timeoutMs = (body.timeout_seconds ?? MESSAGE_TIMEOUT.default) * 1000;
    const message = this.message(body.message_type, body.data, direct ? null : senderKey);
    const started = performance.now();
    const outcome = await this.deliver(target, message, timeoutMs);
    const elapsed = Math.max(0, Math.round(performance.now() - started));
    if (outcome.kind === 'failed') {
      switch (outcome.reason) {
        case 'timeout': {
          const ownLimit = outcome.error.details.reason !== NO_ANSWER;
          throw new MessageTimeoutError(target.pluginKey, timeoutMs, ownLimit ? outcome.error.message : undefined);
        }
        case 'not_running':
          throw new TargetNotRunningError(target.pluginKey);
        case 'unavailable':
          throw new BusUnavailableError(target.pluginKey);
      }
    }
    return { message_id: message.id, response: outcome.reply, response_time_ms: elapsed };
  }

  /**
   * Sends to every active installation granted `messages:receive` (an organisation's with `orgId`, else every
   * one: platform admins only) of the categories asked for, except the excluded plugins, all side by side, each
   * with the whole timeout; answers who answered and who did not.
   */
  async broadcast(caller: AuthUser, org: string | undefined, body: BroadcastDto): Promise<BroadcastResultDto> {
    let orgId: string | null = null;
    if (org !== undefined) {
      const target = await this.access.resolveTarget(caller, { org });
      await this.access.assert(caller, 'manage', target, () => new BroadcastScopeError());
      orgId = target.kind === 'org' ? target.id : null;
    } else if (!hasRole(caller, 'admin')) {
      throw new BroadcastScopeError();
    }
    const categories = body.target_categories && new Set(body.target_categories);
    const excluded = new Set(body.exclude_plugins ?? []);
    const recipients = (await this.directory.broadcastRecipients(orgId)).filter(
      (r) =>
        r.state === 'active' &&
        r.grants.includes('messages:receive') &&
        !excluded.has(r.pluginKey) &&
        (!categories || (r.category !== null && categories.has(r.category))),
    );
    const timeoutMs = (body.timeout_seconds ?? MESSAGE_TIMEOUT.default) * 1000;
    const message = this.message(body.message_type, body.data, null);
    const outcomes = await Promise.all(recipients.map((r) => this.deliver(r, message, timeoutMs)));
    const result: BroadcastResultDto = { message_id: message.id, delivered: [], failed: [] };
    outcomes.forEach((outcome, i) => {
      const { pluginKey, installationId } = recipients[i];
      if (outcome.kind === 'reply' && outcome.reply.status === 'success') result.delivered.push(pluginKey);
      else {
        const reason = outcome.kind === 'reply' ? 'error' : outcome.reason;
        result.failed.push({ plugin: pluginKey, installation_id: installationId, reason });
      }
    });
    result.delivered.sort();
    result.failed.sort(
      (a, b) => a.plugin.localeCompare(b.plugin) || a.installation_id.localeCompare(b.installation_id),
    );
    return result;
  }

  private message(type: string, data: Record<string, unknown> | undefined, from: string | null): BusMessage {
    return {
      id: randomUUID(),
      type,
      data: (data ?? null) as JsonValue,
      from,
      sent_at: this.clock.now().toISOString(),
    };
  }

  /** One request through the router; the target's own failure is an answer, the platform's an outcome. */
  private async deliver(target: MessageParty, message: BusMessage, timeoutMs: number): Promise<Outcome> {
    try {
      const data = await this.router.request(target.installationId, target.pluginKey, message, timeoutMs);
      return { kind: 'reply', reply: { status: 'success', data: data ?? null, error: null } };
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      const failure = PLATFORM_FAILURES[err.code];
      if (failure) return { kind: 'failed', reason: failure, error: err };
      // Anything else is the target's own failure: it threw, ran out of memory, lacked a grant, its worker died.
      return { kind: 'reply', reply: { status: 'error', data: null, error: { code: err.code, message: err.message } } };
    }
  }
}

function assertOn(party: MessageParty, inactive: () => Error): void {
  if (party.state === 'killed') throw new PluginKilledError(party.pluginKey);
  if (party.state !== 'active') throw inactive();
}
