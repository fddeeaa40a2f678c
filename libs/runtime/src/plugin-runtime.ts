import { randomUUID } from 'node:crypto';
import {
  allowedHosts,
  capabilityOf,
  type Capability,
  type HealthCheck,
  type PluginEvent,
  type PluginMessage,
} from '@app/plugin-sdk';
import { effectiveGrants, resolveLimits } from './grants.js';
import { RemotePluginClient } from './remote/remote-plugin-client.js';
import { CRASH_CODES, CrashPolicy } from './runtime/crash-policy.js';
import { healthReport, normaliseChecks, round, stateCheck, suffix } from './runtime/health-report.js';
import { HostApi } from './runtime/host-api.js';
import type { Instance } from './runtime/instance.js';
import { WorkerPool } from './runtime/worker-pool.js';
import { RuntimeError } from './runtime-error.js';
import type {
  EventInput,
  HealthReport,
  HookCallEvent,
  HookName,
  InstanceState,
  InstanceStatus,
  LoadSpec,
  MessageInput,
  PluginLogEvent,
  RuntimeOptions,
  StateChangeEvent,
} from './runtime.types.js';
import { safeParse } from './safe-parse.js';
import type { SandboxSetup, WireError } from './sandbox/protocol.js';
import type { WorkerHost, WorkerResult } from './sandbox/worker-host.js';

/**
 * Runs plugin installations: sandboxed ones in QuickJS inside worker threads, remote ones over signed HTTP.
 * See index.ts for the lifecycle and the guarantees.
 */
export class PluginRuntime {
  private readonly instances = new Map<string, Instance>();
  private readonly pool: WorkerPool;
  private readonly hostApi: HostApi;
  private readonly crashPolicy: CrashPolicy;
  private readonly fetchImpl: typeof fetch;
  private closed = false;

  constructor(private readonly options: RuntimeOptions = {}) {
    this.fetchImpl = options.fetch ?? fetch;
    this.crashPolicy = new CrashPolicy(options.maxCrashes ?? 5, options.crashWindowMs ?? 60_000);
    this.hostApi = new HostApi({
      options,
      fetch: this.fetchImpl,
      sandboxOf: (host, id) => this.sandboxOf(host, id),
      instance: (id) => this.instances.get(id),
      log: (instance, level, message) => this.log(instance, level, message),
      notify: (fn) => this.notify(fn),
    });
    this.pool = new WorkerPool(
      {
        onHost: (host, msg) => void this.hostApi.onHostCall(host, msg),
        onLog: (msg) => this.hostApi.onPluginLog(msg),
        onEmit: (msg) => this.hostApi.onEmit(msg),
        onExit: (host, reason) => this.onWorkerExit(host, reason),
      },
      options.workers,
    );
  }

  /** Starts the worker threads now instead of on the first load (spawning one costs tens of milliseconds). */
  async warmUp(): Promise<void> {
    await this.pool.warmUp();
  }

  /**
   * Loads an installation and runs its `onInit`; resolves when it is `ready`. On failure the instance stays
   * known in state `failed` (see `status`, `restart`) and a RuntimeError PLUGIN_STARTUP_FAILED is thrown.
   */
  async load(spec: LoadSpec): Promise<void> {
    this.assertOpen();
    const existing = this.instances.get(spec.installationId);
    if (existing && existing.state !== 'failed' && existing.state !== 'stopped') {
      throw new RuntimeError('PLUGIN_ALREADY_LOADED', `installation ${spec.installationId} is already loaded`);
    }
    if (spec.manifest.runtime.type === 'remote' && !spec.remoteSecret) {
      throw new RuntimeError('INVALID_ARGUMENT', 'a remote plugin needs remoteSecret to sign its requests');
    }
    if (existing) await this.unloadSandbox(existing);
    const instance = this.createInstance(spec);
    this.instances.set(spec.installationId, instance);
    await this.start(instance);
  }

  /** Sends a message to `onMessage` and resolves with its reply. Needs `messages:receive`. */
  async message(installationId: string, input: MessageInput): Promise<unknown> {
    const instance = this.get(installationId);
    this.requireCapability(instance, 'messages:receive', 'onMessage');
    const message: PluginMessage = {
      id: input.id ?? randomUUID(),
      type: input.type,
      data: input.data ?? null,
      from: input.from ?? null,
      sent_at: input.sent_at ?? new Date().toISOString(),
    };
    return this.invoke(instance, 'onMessage', message);
  }

  /** Delivers an event to `onEvent`. Needs `events:subscribe`; routing by subscription is the caller's job. */
  async event(installationId: string, input: EventInput): Promise<void> {
    const instance = this.get(installationId);
    this.requireCapability(instance, 'events:subscribe', 'onEvent');
    const event: PluginEvent = {
      id: input.id ?? randomUUID(),
      type: input.type,
      data: input.data ?? null,
      source: input.source ?? null,
      emitted_at: input.emitted_at ?? new Date().toISOString(),
    };
    await this.invoke(instance, 'onEvent', event);
  }

  /** Calls `onHealth` and folds its checks with the runtime's own view. Never throws for plugin failures. */
  async health(installationId: string): Promise<HealthReport> {
    const instance = this.get(installationId);
    if (instance.starting) await instance.starting.catch(() => undefined);
    const checks: HealthCheck[] = [];
    let responseTimeMs: number | undefined;
    if (instance.state === 'ready') {
      const started = performance.now();
      try {
        checks.push(...normaliseChecks(await this.invoke(instance, 'onHealth', undefined)));
      } catch (error) {
        checks.push({ name: 'onHealth', status: 'fail', details: (error as Error).message });
      }
      responseTimeMs = round(performance.now() - started);
    } else {
      checks.push(stateCheck(instance));
    }
    return healthReport(instance, { checks, responseTimeMs }, this.crashPolicy.recent(instance));
  }

  /** Runs `onCleanup` (best effort, within the time limit), frees the sandbox and forgets the installation. */
  async stop(installationId: string, reason = 'stopped'): Promise<void> {
    const instance = this.instances.get(installationId);
    if (!instance) return;
    if (instance.starting) await instance.starting.catch(() => undefined); // let a (re)load finish first
    if (instance.state === 'ready') {
      this.setState(instance, 'stopping', reason);
      await this.invoke(instance, 'onCleanup', undefined, true).catch(() => undefined);
    }
    await this.unloadSandbox(instance);
    this.setState(instance, 'stopped', reason);
    if (this.instances.get(installationId) === instance) this.instances.delete(installationId);
  }

  /**
   * Stops and loads the installation again, optionally with changed config, secrets, grants or limits.
   * This is also how a `failed` instance is brought back.
   */
  async restart(installationId: string, changes: Partial<Omit<LoadSpec, 'installationId'>> = {}): Promise<void> {
    const instance = this.get(installationId);
    const spec = { ...instance.spec, ...changes };
    await this.stop(installationId, 'restarting');
    await this.load(spec);
  }

  status(installationId: string): InstanceStatus | undefined {
    const instance = this.instances.get(installationId);
    return instance && this.describe(instance);
  }

  list(): InstanceStatus[] {
    return [...this.instances.values()].map((i) => this.describe(i));
  }

  /** Stops every installation (running onCleanup) and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.instances.keys()].map((id) => this.stop(id, 'runtime closed')));
    this.closed = true;
    await this.pool.terminateAll();
  }

  // ---------------------------------------------------------------- lifecycle

  private createInstance(spec: LoadSpec): Instance {
    const requested = spec.manifest.permissions ?? [];
    const granted = effectiveGrants(requested, spec.grants);
    const limits = resolveLimits(spec);
    const kind = spec.manifest.runtime.type;
    const instance: Instance = {
      spec,
      kind,
      state: 'loading',
      limits,
      capabilities: new Set(granted.map(capabilityOf)),
      hosts: allowedHosts(granted),
      pending: 0,
      calls: 0,
      errors: 0,
      crashes: [],
      fresh: true,
    };
    if (spec.manifest.runtime.type === 'remote') {
      instance.remote = new RemotePluginClient({
        entryPoint: spec.manifest.runtime.entry_point,
        secret: spec.remoteSecret!,
        installationId: spec.installationId,
        fetch: this.fetchImpl,
        attempts: this.options.remoteRetries ?? 3,
        backoffMs: this.options.remoteBackoffMs ?? 100,
      });
    }
    return instance;
  }

  private start(instance: Instance): Promise<void> {
    return this.track(instance, this.startNow(instance));
  }

  /** Calls (and stop/health) arriving while `work` runs wait for it. */
  private track(instance: Instance, work: Promise<void>): Promise<void> {
    const starting: Promise<void> = work.finally(() => {
      if (instance.starting === starting) instance.starting = undefined;
    });
    instance.starting = starting;
    return starting;
  }

  private async startNow(instance: Instance): Promise<void> {
    this.setState(instance, 'loading');
    try {
      if (instance.kind === 'sandbox') await this.loadSandbox(instance);
      const init = instance.kind === 'remote' ? this.remoteInitPayload(instance) : undefined;
      await this.invoke(instance, 'onInit', init, true);
      instance.startedAt = new Date();
      this.setState(instance, 'ready');
    } catch (error) {
      const message = (error as Error).message;
      instance.lastError = message;
      await this.unloadSandbox(instance);
      this.setState(instance, 'failed', `startup failed: ${message}`);
      throw new RuntimeError('PLUGIN_STARTUP_FAILED', `${instance.spec.pluginKey}: ${message}`);
    }
  }

  private async loadSandbox(instance: Instance): Promise<void> {
    const { spec } = instance;
    if (typeof spec.code !== 'string')
      throw new RuntimeError('INVALID_ARGUMENT', 'a sandbox plugin needs its runner code');
    const worker = this.pool.pick();
    instance.worker = worker;
    worker.installations.add(spec.installationId);
    const setup: SandboxSetup = {
      installationId: spec.installationId,
      plugin: { key: spec.pluginKey, version: spec.version },
      config: this.visibleConfig(instance),
      capabilities: [...instance.capabilities],
      emits: spec.manifest.events?.emits?.map((e) => e.type) ?? null,
      memoryBytes: instance.limits.memory_mb * 1024 * 1024,
      timeoutMs: instance.limits.timeout_ms,
    };
    const filename = spec.manifest.runtime.type === 'sandbox' ? spec.manifest.runtime.entry : 'runner.js';
    const result = await worker.request({ t: 'load', setup, code: spec.code, filename }, this.watchdogMs(instance));
    if (result.outcome !== 'ok') {
      throw RuntimeError.from(result.error?.code ?? 'PLUGIN_STARTUP_FAILED', result.error?.message ?? 'load failed');
    }
  }

  private async unloadSandbox(instance: Instance): Promise<void> {
    const worker = instance.worker;
    if (!worker) return;
    instance.worker = undefined;
    worker.installations.delete(instance.spec.installationId);
    if (worker.alive) await worker.request({ t: 'unload', installationId: instance.spec.installationId }, 5_000);
  }

  /** Secrets are copied in only with secrets:read, and nothing at all without config:read. */
  private visibleConfig(instance: Instance): Record<string, unknown> {
    if (!instance.capabilities.has('config:read')) return {};
    const { config = {}, secrets = {} } = instance.spec;
    return instance.capabilities.has('secrets:read') ? { ...config, ...secrets } : { ...config };
  }

  private remoteInitPayload(instance: Instance) {
    return {
      installation_id: instance.spec.installationId,
      plugin: { key: instance.spec.pluginKey, version: instance.spec.version },
      config: this.visibleConfig(instance),
      capabilities: [...instance.capabilities],
    };
  }

  private setState(instance: Instance, to: InstanceState, reason?: string): void {
    const from = instance.fresh ? null : instance.state;
    instance.fresh = false;
    instance.state = to;
    instance.reason = reason;
    const event: StateChangeEvent = {
      installationId: instance.spec.installationId,
      pluginKey: instance.spec.pluginKey,
      from,
      to,
      reason,
      at: new Date(),
    };
    this.notify(() => this.options.observer?.onStateChange?.(event));
  }

  /** A worker died (watchdog or crash): its other sandboxes are loaded again elsewhere, their state is kept. */
  private onWorkerExit(host: WorkerHost, reason: string): void {
    this.pool.remove(host);
    const affected = [...host.installations];
    host.installations.clear();
    for (const id of affected) {
      const instance = this.instances.get(id);
      if (!instance || instance.worker !== host) continue;
      instance.worker = undefined;
      // Deferred so the `killed` results of in-flight calls are recorded first: they may tip it into `failed`.
      const reload = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        if (instance.state !== 'ready' || this.closed || this.instances.get(id) !== instance) return;
        this.log(instance, 'warn', `sandbox worker lost (${reason}); reloading`);
        await this.startNow(instance).catch(() => undefined);
      });
      void this.track(instance, reload);
    }
  }

  // ---------------------------------------------------------------- calls

  private async invoke(instance: Instance, hook: HookName, payload: unknown, internal = false): Promise<unknown> {
    if (instance.starting && !internal) {
      await instance.starting.catch(() => undefined); // loading, or reloading after its worker was replaced
    }
    if (instance.state !== 'ready' && !internal) {
      throw instance.state === 'failed'
        ? new RuntimeError('PLUGIN_FAILED', `${instance.spec.pluginKey} has failed${suffix(instance.reason)}`)
        : new RuntimeError('PLUGIN_NOT_LOADED', `${instance.spec.pluginKey} is ${instance.state}`);
    }
    let payloadText: string | undefined;
    if (payload !== undefined) {
      try {
        payloadText = JSON.stringify(payload);
      } catch (error) {
        throw new RuntimeError('INVALID_ARGUMENT', `data is not JSON-serialisable: ${(error as Error).message}`);
      }
    }
    const started = performance.now();
    if (instance.pending >= instance.limits.max_pending) {
      const error = new RuntimeError(
        'LIMIT_EXCEEDED',
        `${instance.spec.pluginKey} already has ${instance.pending} calls in flight (limits.max_pending)`,
      );
      this.record(instance, hook, { outcome: 'error', error: { code: error.code, message: error.message } }, started);
      throw error;
    }
    instance.pending++;
    let result: WorkerResult;
    try {
      result = await this.execute(instance, hook, payloadText);
    } finally {
      instance.pending--;
    }
    this.record(instance, hook, result, started);
    if (result.outcome === 'ok') {
      if (result.value === undefined) return undefined;
      try {
        return safeParse(result.value);
      } catch {
        throw new RuntimeError('PLUGIN_ERROR', `${instance.spec.pluginKey} replied with invalid JSON`);
      }
    }
    throw RuntimeError.from(result.error?.code ?? 'PLUGIN_ERROR', result.error?.message ?? result.outcome);
  }

  private async execute(instance: Instance, hook: HookName, payload: string | undefined): Promise<WorkerResult> {
    const timeoutMs = instance.limits.timeout_ms;
    if (instance.remote)
      return instance.remote.call(hook, payload === undefined ? undefined : JSON.parse(payload), timeoutMs);
    const worker = instance.worker;
    if (!worker || !worker.alive) {
      return { outcome: 'killed', error: { code: 'PLUGIN_KILLED', message: 'the sandbox is not running' } };
    }
    return worker.request(
      { t: 'call', installationId: instance.spec.installationId, hook, payload, timeoutMs },
      this.watchdogMs(instance),
    );
  }

  private record(instance: Instance, hook: HookName, result: WorkerResult, started: number): void {
    instance.calls++;
    if (result.memoryBytes !== undefined) instance.memoryBytes = result.memoryBytes;
    if (result.outcome !== 'ok') {
      instance.errors++;
      instance.lastError = result.error?.message ?? result.outcome;
      if (result.error && CRASH_CODES.has(result.error.code)) this.countCrash(instance, result.error);
    }
    const event: HookCallEvent = {
      installationId: instance.spec.installationId,
      pluginKey: instance.spec.pluginKey,
      version: instance.spec.version,
      hook,
      outcome: result.outcome,
      durationMs: round(performance.now() - started),
      memoryBytes: result.memoryBytes,
      error: result.error && { code: result.error.code, message: result.error.message },
      at: new Date(),
    };
    this.notify(() => this.options.observer?.onCall?.(event));
  }

  private countCrash(instance: Instance, error: WireError): void {
    if (this.crashPolicy.record(instance) && instance.state === 'ready') {
      const reason = this.crashPolicy.describe(error.message);
      this.setState(instance, 'failed', reason);
      this.log(instance, 'error', `marked failed: ${reason}`);
      void this.unloadSandbox(instance);
    }
  }

  private watchdogMs(instance: Instance): number {
    return instance.limits.timeout_ms + (this.options.watchdogGraceMs ?? 2_000);
  }

  // ---------------------------------------------------------------- helpers

  private sandboxOf(host: WorkerHost, installationId: string): Instance | undefined {
    const instance = this.instances.get(installationId);
    return instance && instance.worker === host ? instance : undefined;
  }

  private log(instance: Instance, level: PluginLogEvent['level'], message: string): void {
    const event: PluginLogEvent = {
      installationId: instance.spec.installationId,
      pluginKey: instance.spec.pluginKey,
      level,
      message,
      source: 'runtime',
      at: new Date(),
    };
    this.notify(() => this.options.observer?.onLog?.(event));
  }

  private get(installationId: string): Instance {
    this.assertOpen();
    const instance = this.instances.get(installationId);
    if (!instance) throw new RuntimeError('PLUGIN_NOT_LOADED', `installation ${installationId} is not loaded`);
    return instance;
  }

  private requireCapability(instance: Instance, capability: Capability, hook: HookName): void {
    if (!instance.capabilities.has(capability)) {
      throw new RuntimeError('PLUGIN_PERMISSION_DENIED', `${hook} needs ${capability}, which is not granted`);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeError('RUNTIME_CLOSED', 'the plugin runtime is closed');
  }

  private describe(instance: Instance): InstanceStatus {
    return {
      installationId: instance.spec.installationId,
      pluginKey: instance.spec.pluginKey,
      version: instance.spec.version,
      kind: instance.kind,
      state: instance.state,
      reason: instance.reason,
      workerId: instance.worker?.id,
      startedAt: instance.startedAt,
      pending: instance.pending,
      calls: instance.calls,
      errors: instance.errors,
      recentFailures: this.crashPolicy.recent(instance),
      memoryBytes: instance.memoryBytes,
      lastError: instance.lastError,
      limits: { ...instance.limits },
    };
  }

  private notify(fn: () => void): void {
    try {
      fn();
    } catch {
      // An observer bug must not break plugin calls.
    }
  }
}
