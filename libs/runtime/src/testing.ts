/**
 * Helpers for tests that drive the runtime (here and in the API's tests): an inline sandbox plugin spec and an
 * observer that records everything. Import from '@app/runtime/testing.js'; not part of the runtime API.
 */
import type { PermissionEntry, PluginManifest } from '@app/plugin-sdk';
import type {
  HookCallEvent,
  LoadSpec,
  PluginLogEvent,
  RuntimeBridge,
  RuntimeObserver,
  StateChangeEvent,
} from './runtime.types.js';

let counter = 0;

/** A LoadSpec for runner `code` with the given permissions (requested and granted alike unless `grants` is set). */
export function inlinePlugin(
  code: string,
  options: Partial<Omit<LoadSpec, 'manifest' | 'code'>> & {
    permissions?: PermissionEntry[];
    manifest?: Partial<PluginManifest>;
  } = {},
): LoadSpec {
  const n = ++counter;
  const permissions = options.permissions ?? ['log', 'messages:receive'];
  const manifest: PluginManifest = {
    key: options.pluginKey ?? `test.plugin-${n}`,
    name: `Test plugin ${n}`,
    version: '1.0.0',
    description: 'inline test plugin',
    permissions,
    runtime: { type: 'sandbox', entry: 'runner.js' },
    ...options.manifest,
  };
  return {
    installationId: options.installationId ?? `inst-${n}-${process.pid}`,
    pluginKey: manifest.key,
    version: manifest.version,
    manifest,
    code,
    config: options.config ?? {},
    secrets: options.secrets,
    grants: options.grants ?? permissions,
    limits: options.limits,
    storageQuotaBytes: options.storageQuotaBytes,
    remoteSecret: options.remoteSecret,
  };
}

export class RecordingObserver implements RuntimeObserver {
  readonly calls: HookCallEvent[] = [];
  readonly logs: PluginLogEvent[] = [];
  readonly states: StateChangeEvent[] = [];

  onCall(event: HookCallEvent): void {
    this.calls.push(event);
  }

  onLog(event: PluginLogEvent): void {
    this.logs.push(event);
  }

  onStateChange(event: StateChangeEvent): void {
    this.states.push(event);
  }

  callsOf(installationId: string): HookCallEvent[] {
    return this.calls.filter((c) => c.installationId === installationId);
  }

  statesOf(installationId: string): string[] {
    return this.states.filter((s) => s.installationId === installationId).map((s) => s.to);
  }
}

export class RecordingBridge implements RuntimeBridge {
  readonly events: Array<{ installationId: string; type: string; data: unknown }> = [];
  readonly messages: Array<{ from: string; target: string; type: string; data: unknown; timeoutMs: number }> = [];
  /** What sendMessage answers; may be replaced by a test. */
  reply: (target: string, type: string, data: unknown) => Promise<unknown> = (target, type, data) =>
    Promise.resolve({ echo: { target, type, data } });

  emitEvent(installationId: string, event: { type: string; data: unknown }): void {
    this.events.push({ installationId, ...event });
  }

  async sendMessage(from: string, target: string, type: string, data: unknown, timeoutMs: number): Promise<unknown> {
    this.messages.push({ from, target, type, data, timeoutMs });
    return this.reply(target, type, data);
  }
}
