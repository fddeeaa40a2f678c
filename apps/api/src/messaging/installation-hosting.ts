import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { JsonLogger, OnPlughubEvent } from '@app/common';
import { KeyedMutex, PluginRuntime, type RequestInput, RuntimeError } from '@app/runtime';
import type { StateChangeEvent } from '../runtime/runtime.entity.js';
import type { JsonValue, MessageBus, RequestContext } from './bus/index.js';
import { MESSAGE_BUS } from './message-bus.provider.js';

/** A message as it crosses the bus to the node hosting its target. */
export interface BusMessage {
  id: string;
  type: string;
  data: JsonValue;
  /** Plugin key of the sender, or null when a user sent it. */
  from: string | null;
  sent_at: string;
}

/**
 * A call into a hook other than onMessage, for a caller on another node (plugin endpoints, Execute): onRequest
 * with the request, onProcess with the data (and the caller's own timeout).
 */
export type BusCall =
  { kind: 'request'; input: RequestInput } | { kind: 'process'; data: JsonValue; timeoutMs: number | null };

/**
 * How a BusCall comes back: the hook's answer, or the runtime's error with its reason (the bus itself would carry
 * the code only), its message already redacted of the installation's secrets by the node that holds them.
 */
export type BusCallAnswer =
  { ok: true; value: JsonValue } | { ok: false; error: { code: string; message: string; reason: string | null } };

/**
 * Makes every installation this node runs reachable from every node: serves its subject on the bus while its
 * runtime instance is ready (`runtime.state`), and stops when it stops or fails, so other nodes get `no_responder`
 * at once instead of a timeout. A request runs the installation's onMessage.
 */
@Injectable()
export class InstallationHosting implements BeforeApplicationShutdown {
  private readonly served = new Set<string>();
  private readonly mutex = new KeyedMutex();
  private readonly logger: JsonLogger;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly runtime: PluginRuntime,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('InstallationHosting');
  }

  /** The installations this node answers for. */
  hosted(): string[] {
    return [...this.served];
  }

  @OnPlughubEvent('runtime.state')
  async onRuntimeState(event: StateChangeEvent): Promise<void> {
    const id = event.installationId;
    await this.mutex.run(id, async () => {
      const ready = this.runtime.status(id)?.state === 'ready';
      if (ready && !this.served.has(id)) {
        await this.bus.serve(id, (payload, context) => this.answer(id, payload, context));
        this.served.add(id);
      } else if (!ready && this.served.has(id)) {
        this.served.delete(id);
        await this.bus.unserve(id);
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const id of [...this.served]) {
      this.served.delete(id);
      await this.bus.unserve(id).catch((err: unknown) => {
        this.logger.warn('Could not stop serving an installation', { installation_id: id, error: String(err) });
      });
    }
  }

  private answer(id: string, payload: JsonValue, _context: RequestContext): Promise<unknown> {
    const call = payload as unknown as Partial<BusCall>;
    if (call.kind === 'request' || call.kind === 'process') return this.answerCall(id, call as BusCall);
    const message = payload as unknown as BusMessage;
    return this.runtime.message(id, {
      id: message.id,
      type: message.type,
      data: message.data,
      from: message.from,
      sent_at: message.sent_at,
    });
  }

  private async answerCall(id: string, call: BusCall): Promise<BusCallAnswer> {
    try {
      const value =
        call.kind === 'request'
          ? await this.runtime.request(id, call.input)
          : await this.runtime.process(id, call.data, call.timeoutMs === null ? {} : { timeoutMs: call.timeoutMs });
      return { ok: true, value: (value ?? null) as JsonValue };
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      const error = { code: err.code, message: this.runtime.redact(id, err.message) };
      return { ok: false, error: { ...error, reason: err.details.reason ?? null } };
    }
  }
}
