import { BusError } from './message-bus.js';

/**
 * Subject names. Everything a deployment sends lives under its prefix, so several deployments can share one NATS
 * (and a NATS account can be limited to `<prefix>.>`):
 *
 *   <prefix>.installation.<installationId>   requests to one installation
 *   <prefix>.broadcast.<channel>             broadcasts
 *   <prefix>._INBOX.<random>                 where answers come back
 */
export const DEFAULT_SUBJECT_PREFIX = 'plughub';

// One NATS subject token: no dots, wildcards (`*`, `>`) or whitespace. Mongo ids and UUIDs fit.
const TOKEN = /^[A-Za-z0-9_-]+$/;
const MAX_INSTALLATION_ID = 64;
const MAX_NAME = 128;

/** Dot-separated tokens, as NATS subjects are. */
function isDottedName(value: string): boolean {
  return value.length > 0 && value.length <= MAX_NAME && value.split('.').every((token) => TOKEN.test(token));
}

export class BusSubjects {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_SUBJECT_PREFIX) {
    if (typeof prefix !== 'string' || !isDottedName(prefix)) {
      throw new BusError('invalid_argument', `The subject prefix "${String(prefix)}" is not dot-separated tokens.`);
    }
    this.prefix = prefix;
  }

  installation(installationId: string): string {
    if (
      typeof installationId !== 'string' ||
      installationId.length > MAX_INSTALLATION_ID ||
      !TOKEN.test(installationId)
    ) {
      throw new BusError('invalid_argument', `"${String(installationId)}" is not an installation id.`);
    }
    return `${this.prefix}.installation.${installationId}`;
  }

  broadcast(channel: string): string {
    if (typeof channel !== 'string' || !isDottedName(channel)) {
      throw new BusError('invalid_argument', `"${String(channel)}" is not a channel name.`);
    }
    return `${this.prefix}.broadcast.${channel}`;
  }

  get inboxPrefix(): string {
    return `${this.prefix}._INBOX`;
  }
}

/** A request timeout: a positive number of milliseconds, at most a day (setTimeout overflows past 2^31 - 1). */
export function checkTimeout(timeoutMs: number): number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 86_400_000) {
    throw new BusError('invalid_argument', `The timeout ${String(timeoutMs)} ms is not between 0 and a day.`);
  }
  return Math.ceil(timeoutMs);
}
