import { namedError, notFound } from '@app/common';
import { NotInstalledError, PluginKilledError } from '../installation/installation.errors.js';

export class NotDeadLetterError extends namedError(
  'CONFLICT',
  'not_dead_letter',
  'the delivery is no longer a dead letter (replayed already, or delivered since)',
) {
  constructor(id: string) {
    super('This delivery is not a dead letter any more.', { id });
  }
}

export class InvalidLastEventIdError extends namedError(
  'VALIDATION_ERROR',
  'invalid_last_event_id',
  'Last-Event-ID is not an event sequence number',
) {
  constructor() {
    super('Last-Event-ID must be the id of an event of this stream.', {}, [
      { field: 'Last-Event-ID', message: 'must be a non-negative integer' },
    ]);
  }
}

export class TooManyStreamsError extends namedError(
  'RATE_LIMITED',
  'too_many_streams',
  'you hold as many open event streams as one user may (PLUGHUB_MAX_EVENT_STREAMS_PER_USER); close one first',
) {
  constructor(limit: number) {
    super(`You already have ${limit} open event streams; close one first.`, { limit });
  }
}

export const deadLetterNotFound = () => notFound('Dead letter');

// ---- messages and broadcast ------------------------------------------------------------------------------------

export class SenderInactiveError extends namedError(
  'CONFLICT',
  'sender_inactive',
  'the sending installation is not active for you (disabled, failed, or switched off by your organisation or the instance)',
) {
  constructor(key: string) {
    super(`${key} is not active, so it cannot send messages.`, { key });
  }
}

export class TargetInactiveError extends namedError(
  'CONFLICT',
  'target_inactive',
  'the target installation is not active for you (disabled, failed, or switched off by your organisation or the instance)',
) {
  constructor(key: string) {
    super(`${key} is not active, so it cannot receive messages.`, { key });
  }
}

export class TargetNotRunningError extends namedError(
  'CONFLICT',
  'not_running',
  'the target installation is active but no node runs it right now (starting, or its node went away)',
) {
  constructor(key: string) {
    super(`${key} is not running on any node right now; try again shortly.`, { key });
  }
}

export class SendNotGrantedError extends namedError(
  'PLUGIN_PERMISSION_DENIED',
  'messages_send_not_granted',
  'the sending installation was not granted `messages:send`',
) {
  constructor(key: string) {
    super(`${key} was not granted messages:send.`, { key, capability: 'messages:send' });
  }
}

export class ReceiveNotGrantedError extends namedError(
  'PLUGIN_PERMISSION_DENIED',
  'messages_receive_not_granted',
  'the target installation was not granted `messages:receive`',
) {
  constructor(key: string) {
    super(`${key} was not granted messages:receive.`, { key, capability: 'messages:receive' });
  }
}

export class MessageTimeoutError extends namedError(
  'PLUGIN_COMMUNICATION_TIMEOUT',
  'timeout',
  'the target did not answer within `timeout_seconds` (or its own time limit)',
) {
  /**
   * `timeoutMs`: the wait that ran out. A target stopped by its own `limits.timeout_ms` first is reported with the
   * runtime's words for that limit (`stoppedBecause`) and without `timeout_ms`, which would name a wait that did not
   * run out.
   */
  constructor(key: string, timeoutMs: number, stoppedBecause?: string) {
    if (stoppedBecause === undefined)
      super(`${key} did not answer within ${timeoutMs} ms.`, { key, timeout_ms: timeoutMs });
    else super(`${key} did not answer: ${stoppedBecause}.`, { key });
  }
}

export class BusUnavailableError extends namedError(
  'PLUGIN_COMMUNICATION_TIMEOUT',
  'bus_unavailable',
  'the message bus is disconnected from its server, or closing',
) {
  constructor(key: string) {
    super(`The message to ${key} could not be sent: the message bus is unavailable.`, { key });
  }
}

export class BroadcastScopeError extends namedError(
  'FORBIDDEN',
  'not_broadcaster',
  'only platform admins broadcast to every installation, and organisation admins to their organisation’s',
) {
  constructor() {
    super('You may not broadcast to these installations.');
  }
}

export class TargetNotFoundError extends namedError(
  'PLUGIN_NOT_FOUND',
  'target_not_installed',
  'the target plugin is not in your effective set (not installed for you, your organisations or the instance)',
) {
  constructor(key: string) {
    super(`${key} is not installed for you.`, { key });
  }
}

/** What sending a message to a plugin can answer (POST /api/plugins/{plugin}/message/), in its documented order. */
export const SEND_ERRORS = [
  NotInstalledError,
  TargetNotFoundError,
  SendNotGrantedError,
  ReceiveNotGrantedError,
  MessageTimeoutError,
  BusUnavailableError,
  SenderInactiveError,
  TargetInactiveError,
  TargetNotRunningError,
  PluginKilledError,
] as const;
