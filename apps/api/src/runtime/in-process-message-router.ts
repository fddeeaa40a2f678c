import type { Clock, EventBus } from '@app/common';
import { type PluginRuntime, RuntimeError } from '@app/runtime';
import type { PluginEmittedEvent } from './runtime.entity.js';
import type { MessageRouter } from './runtime.ports.js';

/** What an installation emitted, as every MESSAGE_ROUTER puts it on the event bus (`plugin.event`). */
export function pluginEmitted(
  runtime: PluginRuntime,
  installationId: string,
  event: { type: string; data: unknown },
  at: Date,
): PluginEmittedEvent {
  const pluginKey = runtime.status(installationId)?.pluginKey ?? null;
  return { installationId, pluginKey, type: event.type, data: event.data, at };
}

/** The runtime error of a message that got no answer within the sender's timeout. */
export function messageTimeout(targetKey: string, timeoutMs: number): RuntimeError {
  return new RuntimeError('PLUGIN_TIMEOUT', `${targetKey} did not answer within ${timeoutMs} ms`);
}

/**
 * The default MESSAGE_ROUTER, for a single node: a message is delivered to a ready installation of the target
 * plugin loaded in this process (the first one, when several targets run it), with the sender's timeout; an
 * emitted event goes onto the event bus as `plugin.event`. Fan-out of events to subscribed plugins, dead letters
 * and NATS are the messaging module's, which replaces this router.
 */
export class InProcessMessageRouter implements MessageRouter {
  constructor(
    private readonly runtime: () => PluginRuntime,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  emitEvent(installationId: string, event: { type: string; data: unknown }): void {
    this.events.notify('plugin.event', pluginEmitted(this.runtime(), installationId, event, this.clock.now()));
  }

  async sendMessage(
    fromInstallationId: string,
    targetKey: string,
    type: string,
    data: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const runtime = this.runtime();
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
