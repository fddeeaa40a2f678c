import type { Clock, EventBus } from '@app/common';
import { type PluginRuntime, RuntimeError } from '@app/runtime';
import type { PluginEmittedEvent } from './runtime.entity.js';
import type { MessageRouter } from './runtime.ports.js';

/** `details.reason` of a message timeout: the sender's wait ran out (not the target's own time limit). */
export const NO_ANSWER = 'no_answer';

/**
 * The runtime error of a message that got no answer within the sender's timeout (reason `no_answer`; a target
 * stopped at its own `limits.timeout_ms` is a PLUGIN_TIMEOUT without it).
 */
export function messageTimeout(targetKey: string, timeoutMs: number): RuntimeError {
  return new RuntimeError('PLUGIN_TIMEOUT', `${targetKey} did not answer within ${timeoutMs} ms`, NO_ANSWER);
}

/** One message a plugin sends with `context.messages.send`. */
export interface PluginMessage {
  fromInstallationId: string;
  targetKey: string;
  type: string;
  data: unknown;
  timeoutMs: number;
}

/**
 * What every MESSAGE_ROUTER does alike: an emitted event goes onto the event bus as `plugin.event`, with the
 * emitter's plugin key; where a message goes is each router's own (`deliver`).
 */
export abstract class PluginMessageRouter implements MessageRouter {
  constructor(
    protected readonly runtimeOf: () => PluginRuntime,
    private readonly events: EventBus,
    protected readonly clock: Clock,
  ) {}

  emitEvent(installationId: string, event: { type: string; data: unknown }): void {
    const pluginKey = this.runtimeOf().status(installationId)?.pluginKey ?? null;
    const emitted: PluginEmittedEvent = {
      installationId,
      pluginKey,
      type: event.type,
      data: event.data,
      at: this.clock.now(),
    };
    this.events.notify('plugin.event', emitted);
  }

  sendMessage(from: string, targetKey: string, type: string, data: unknown, timeoutMs: number): Promise<unknown> {
    return this.deliver({ fromInstallationId: from, targetKey, type, data, timeoutMs });
  }

  /** Sends `message` to an installation of its target plugin; resolves with the answer, rejects with a RuntimeError. */
  protected abstract deliver(message: PluginMessage): Promise<unknown>;
}

/**
 * The default MESSAGE_ROUTER, for a single node: a message is delivered to a ready installation of the target
 * plugin loaded in this process (the first one, when several targets run it), with the sender's timeout; an
 * emitted event goes onto the event bus as `plugin.event`. Fan-out of events to subscribed plugins, dead letters
 * and NATS are the messaging module's, which replaces this router.
 */
export class InProcessMessageRouter extends PluginMessageRouter {
  protected async deliver({ fromInstallationId, targetKey, type, data, timeoutMs }: PluginMessage): Promise<unknown> {
    const runtime = this.runtimeOf();
    const [target] = runtime.ids({ pluginKey: targetKey, state: 'ready', limit: 1 });
    if (target === undefined)
      throw new RuntimeError('PLUGIN_NOT_LOADED', `no running installation of ${targetKey} on this node`);
    const from = runtime.status(fromInstallationId)?.pluginKey ?? null;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(messageTimeout(targetKey, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([runtime.message(target, { type, data, from }), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
