import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, EventBus } from '@app/common';
import { PluginRuntime, RuntimeError } from '@app/runtime';
import { messageTimeout, type PluginMessage, PluginMessageRouter } from '../runtime/in-process-message-router.js';
import { BusError, type JsonValue, type MessageBus } from './bus/index.js';
import type { BusCall, BusCallAnswer, BusMessage } from './installation-hosting.js';
import { MESSAGE_BUS } from './message-bus.provider.js';
import { INSTALLATION_DIRECTORY, type InstallationDirectory } from './messaging.ports.js';

/** A bus failure as the runtime reports it to the sending plugin (and as the API maps it to an HTTP error). */
export function toRuntimeError(error: BusError, targetKey: string, timeoutMs: number): RuntimeError {
  switch (error.code) {
    case 'timeout':
      return messageTimeout(targetKey, timeoutMs);
    case 'no_responder':
      return new RuntimeError('PLUGIN_NOT_LOADED', `${targetKey} is not running on any node`, 'not_running');
    case 'remote_error':
      return RuntimeError.from(error.remoteCode ?? 'PLUGIN_ERROR', error.message);
    case 'payload_too_large':
      return new RuntimeError('LIMIT_EXCEEDED', error.message, 'payload_too_large');
    case 'invalid_argument':
      return new RuntimeError('INVALID_ARGUMENT', error.message);
    case 'disconnected':
    case 'closed':
      return new RuntimeError('PLUGIN_UNREACHABLE', `the message bus is ${error.code}`, error.code);
  }
}

/**
 * MESSAGE_ROUTER over the bus: what a plugin sends with `context.messages.send` goes to the installation of the
 * target in its effective scope (INSTALLATION_DIRECTORY) on whichever node hosts it; what it emits goes onto the
 * EventBus as `plugin.event`, where the event pipeline stores and fans it out.
 */
@Injectable()
export class BusMessageRouter extends PluginMessageRouter {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly runtime: PluginRuntime,
    events: EventBus,
    @Inject(Clock) clock: Clock,
    @Optional() @Inject(INSTALLATION_DIRECTORY) private readonly directory?: InstallationDirectory,
  ) {
    super(() => runtime, events, clock);
  }

  protected async deliver({ fromInstallationId, targetKey, type, data, timeoutMs }: PluginMessage): Promise<unknown> {
    const targetId = await this.targetOf(fromInstallationId, targetKey);
    if (!targetId) throw new RuntimeError('PLUGIN_NOT_LOADED', `${targetKey} is not installed for this sender`);
    return this.request(
      targetId,
      targetKey,
      {
        id: randomUUID(),
        type,
        data: (data ?? null) as JsonValue,
        from: this.runtime.status(fromInstallationId)?.pluginKey ?? null,
        sent_at: this.clock.now().toISOString(),
      },
      timeoutMs,
    );
  }

  /** Sends `message` to the installation `targetId` (of plugin `targetKey`) wherever it runs; RuntimeError when not. */
  async request(
    targetId: string,
    targetKey: string,
    message: BusMessage | BusCall,
    timeoutMs: number,
  ): Promise<unknown> {
    try {
      return await this.bus.request(targetId, message, timeoutMs);
    } catch (err) {
      if (err instanceof BusError) throw toRuntimeError(err, targetKey, timeoutMs);
      throw err;
    }
  }

  /**
   * Runs onRequest or onProcess of the installation `targetId` on the node that hosts it, when that is another one
   * (plugin endpoints and Execute call the runtime directly when it runs here). Fails with the runtime's error as
   * the hosting node raised it (its reason kept), or the bus failure as a RuntimeError (`toRuntimeError`).
   */
  async call(targetId: string, targetKey: string, call: BusCall, timeoutMs: number): Promise<unknown> {
    const answer = (await this.request(targetId, targetKey, call, timeoutMs)) as BusCallAnswer;
    if (answer.ok) return answer.value;
    throw RuntimeError.from(answer.error.code, answer.error.message, answer.error.reason ?? undefined);
  }

  private async targetOf(fromInstallationId: string, targetKey: string): Promise<string | null> {
    if (this.directory)
      return (await this.directory.messageTarget(fromInstallationId, targetKey))?.installationId ?? null;
    // One node without an installation directory: a running installation of the target here.
    return this.runtime.ids({ pluginKey: targetKey, state: 'ready', limit: 1 })[0] ?? null;
  }
}
