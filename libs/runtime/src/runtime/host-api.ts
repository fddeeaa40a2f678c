import { sandboxFetch, type FetchPolicy, type SandboxFetchArgs } from '../host-fetch.js';
import { RuntimeError } from '../runtime-error.js';
import type { PluginLogEvent, RuntimeOptions } from '../runtime.types.js';
import { parseOr, safeParse } from '../safe-parse.js';
import { HOST_OPERATIONS, isHostOperation, type HostOperation } from '../sandbox/host-operations.js';
import type { FromWorker, WireError } from '../sandbox/protocol.js';
import type { WorkerHost } from '../sandbox/worker-host.js';
import type { Instance } from './instance.js';
import { observe } from './observe.js';

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

export interface HostApiDeps {
  options: Pick<RuntimeOptions, 'storage' | 'bridge' | 'observer'>;
  fetchPolicy: FetchPolicy;
  /** The instance whose sandbox lives on `host`, if it still does. */
  sandboxOf(host: WorkerHost, installationId: string): Instance | undefined;
  instance(installationId: string): Instance | undefined;
  /** A line the runtime writes about an instance. */
  log(instance: Instance, level: PluginLogEvent['level'], message: string): void;
}

/**
 * The host half of the sandbox API: host operations, emitted events and log lines arriving from the workers.
 * Capabilities are checked again here: the worker is not trusted blindly.
 */
export class HostApi {
  constructor(private readonly deps: HostApiDeps) {}

  async onHostCall(host: WorkerHost, msg: Extract<FromWorker, { t: 'host' }>): Promise<void> {
    const instance = this.deps.sandboxOf(host, msg.installationId);
    if (!instance) return;
    const reply = (ok: boolean, value?: unknown, error?: WireError) =>
      host.send({
        t: 'host-result',
        installationId: msg.installationId,
        hostId: msg.hostId,
        ok,
        value: value === undefined ? undefined : JSON.stringify(value),
        error,
      });
    try {
      reply(true, await this.operation(instance, msg.op, safeParse(msg.args) as Record<string, unknown>));
    } catch (error) {
      const code = error instanceof RuntimeError ? error.code : 'PLUGIN_ERROR';
      const reason = error instanceof RuntimeError ? error.details.reason : undefined;
      reply(false, undefined, { code, message: (error as Error).message, reason });
    }
  }

  async operation(instance: Instance, op: string, args: Record<string, unknown>): Promise<unknown> {
    if (!isHostOperation(op)) throw new RuntimeError('INVALID_ARGUMENT', `unknown host operation ${op}`);
    const capability = HOST_OPERATIONS[op];
    if (!instance.capabilities.has(capability)) {
      throw new RuntimeError('PLUGIN_PERMISSION_DENIED', `${capability} not granted`, 'not_granted');
    }
    return this.perform(instance, op, args);
  }

  onEmit(msg: Extract<FromWorker, { t: 'emit' }>): void {
    const instance = this.deps.instance(msg.installationId);
    if (!instance || !instance.capabilities.has('events:emit')) return;
    const declared = instance.spec.manifest.events?.emits;
    if (declared && !declared.some((e) => e.type === msg.type)) return;
    const event = { type: msg.type, data: parseOr(msg.data, null) };
    Promise.resolve()
      .then(() => this.deps.options.bridge?.emitEvent(msg.installationId, event))
      .catch((error: Error) =>
        this.deps.log(instance, 'warn', `event ${msg.type} was not delivered: ${error.message}`),
      );
  }

  onPluginLog(msg: Extract<FromWorker, { t: 'log' }>): void {
    const instance = this.deps.instance(msg.installationId);
    if (!instance || !instance.capabilities.has('log')) return;
    const fields = msg.fields === undefined ? undefined : parseOr(msg.fields, undefined);
    const event: PluginLogEvent = {
      installationId: msg.installationId,
      pluginKey: instance.spec.pluginKey,
      level: (LOG_LEVELS.has(msg.level) ? msg.level : 'info') as PluginLogEvent['level'],
      message: msg.message,
      fields:
        fields && typeof fields === 'object' && !Array.isArray(fields)
          ? (fields as Record<string, unknown>)
          : undefined,
      source: 'plugin',
      at: new Date(),
    };
    if (msg.requestId !== undefined) event.requestId = msg.requestId;
    observe(this.deps.options.observer, 'onLog', event);
  }

  private async perform(instance: Instance, op: HostOperation, args: Record<string, unknown>): Promise<unknown> {
    const id = instance.spec.installationId;
    const storage = () => {
      if (!this.deps.options.storage) {
        throw new RuntimeError('PLUGIN_ERROR', 'storage is not configured on this server');
      }
      return this.deps.options.storage;
    };
    switch (op) {
      case 'storage.get':
        return storage().get(id, String(args.key));
      case 'storage.list':
        return storage().list(id, typeof args.prefix === 'string' ? args.prefix : '');
      case 'storage.set':
        await storage().set(id, String(args.key), args.value, instance.limits.storage_quota_bytes);
        return undefined;
      case 'storage.delete':
        return storage().delete(id, String(args.key));
      case 'messages.send': {
        const bridge = this.deps.options.bridge;
        if (!bridge) throw new RuntimeError('PLUGIN_ERROR', 'messaging is not configured on this server');
        const cap = instance.limits.timeout_ms;
        const timeout = typeof args.timeout === 'number' && args.timeout > 0 ? Math.min(args.timeout, cap) : cap;
        return bridge.sendMessage(id, String(args.target), String(args.type), args.data, timeout);
      }
      case 'http.fetch':
        return sandboxFetch(
          args as unknown as SandboxFetchArgs,
          instance.hosts,
          instance.limits.timeout_ms,
          this.deps.fetchPolicy,
        );
    }
  }
}
