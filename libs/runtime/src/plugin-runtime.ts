import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  allowedHosts,
  capabilityOf,
  DEFAULT_LIMITS,
  MAX_LIMITS,
  type Capability,
  type HealthCheck,
  type Permission,
  type PluginEvent,
  type PluginMessage,
} from '@app/plugin-sdk';
import { sandboxFetch, type SandboxFetchArgs } from './host-fetch.js';
import { RemotePluginClient } from './remote/remote-plugin-client.js';
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
  ResolvedLimits,
  RuntimeOptions,
  StateChangeEvent,
} from './runtime.types.js';
import type { FromWorker, SandboxSetup, WireError } from './sandbox/protocol.js';
import { WorkerHost, type WorkerResult } from './sandbox/worker-host.js';

const DEFAULT_STORAGE_QUOTA = 1024 * 1024;
const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);
/** Outcomes that count towards the crash policy. A plugin that merely throws is answering; it is not crashing. */
const CRASH_CODES = new Set(['PLUGIN_TIMEOUT', 'PLUGIN_KILLED', 'PLUGIN_MEMORY_LIMIT']);

interface Instance {
  spec: LoadSpec;
  kind: 'sandbox' | 'remote';
  state: InstanceState;
  reason?: string;
  limits: ResolvedLimits;
  capabilities: Set<Capability>;
  hosts: string[];
  worker?: WorkerHost;
  remote?: RemotePluginClient;
  startedAt?: Date;
  pending: number;
  calls: number;
  errors: number;
  crashes: number[];
  memoryBytes?: number;
  lastError?: string;
  /** No state change published yet: the first one reports `from: null`. */
  fresh: boolean;
  /** Set while a (re)load runs; calls arriving meanwhile wait for it instead of failing. */
  starting?: Promise<void>;
}

/**
 * Runs plugin installations: sandboxed ones in QuickJS inside worker threads, remote ones over signed HTTP.
 * See index.ts for the lifecycle and the guarantees.
 */
export class PluginRuntime {
  private readonly instances = new Map<string, Instance>();
  private readonly workers: WorkerHost[] = [];
  private readonly maxWorkers: number;
  private readonly fetchImpl: typeof fetch;
  private closed = false;

  constructor(private readonly options: RuntimeOptions = {}) {
    this.maxWorkers = Math.max(1, options.workers ?? Math.min(4, Math.max(2, availableParallelism())));
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Starts the worker threads now instead of on the first load (spawning one costs tens of milliseconds). */
  async warmUp(): Promise<void> {
    while (this.workers.length < this.maxWorkers) this.spawnWorker();
    await Promise.all(this.workers.map((w) => w.ready));
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
      checks.push({
        name: 'state',
        status: 'fail',
        details: `instance is ${instance.state}${suffix(instance.reason)}`,
      });
    }
    if (instance.memoryBytes !== undefined) {
      const usedMb = instance.memoryBytes / (1024 * 1024);
      checks.push({
        name: 'memory_usage',
        status: usedMb > instance.limits.memory_mb * 0.9 ? 'warn' : 'pass',
        value: round(usedMb),
        threshold: instance.limits.memory_mb,
        unit: 'MB',
      });
    }
    const recent = this.recentCrashes(instance);
    if (recent > 0) {
      checks.push({ name: 'crashes', status: 'warn', value: recent, details: instance.lastError });
    }
    const status = checks.some((c) => c.status === 'fail')
      ? 'unhealthy'
      : checks.some((c) => c.status === 'warn')
        ? 'degraded'
        : 'healthy';
    return {
      installationId,
      status,
      state: instance.state,
      checks,
      uptimeSeconds: instance.startedAt ? Math.floor((Date.now() - instance.startedAt.getTime()) / 1000) : 0,
      responseTimeMs,
      memoryBytes: instance.memoryBytes,
      lastError: instance.lastError,
    };
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
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
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
    const worker = this.pickWorker();
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
    const now = Date.now();
    instance.crashes.push(now);
    const max = this.options.maxCrashes ?? 5;
    if (this.recentCrashes(instance) >= max && instance.state === 'ready') {
      const reason = `${max} crashes within ${(this.options.crashWindowMs ?? 60_000) / 1000} s; last: ${error.message}`;
      this.setState(instance, 'failed', reason);
      this.log(instance, 'error', `marked failed: ${reason}`);
      void this.unloadSandbox(instance);
    }
  }

  private recentCrashes(instance: Instance): number {
    const since = Date.now() - (this.options.crashWindowMs ?? 60_000);
    instance.crashes = instance.crashes.filter((t) => t > since);
    return instance.crashes.length;
  }

  private watchdogMs(instance: Instance): number {
    return instance.limits.timeout_ms + (this.options.watchdogGraceMs ?? 2_000);
  }

  // ---------------------------------------------------------------- workers and host calls

  /**
   * Several sandboxes share a worker. Measured (bench/runtime.bench.ts, 2-core VM): a sandbox costs ~0.4 MB RSS and
   * ~1.5 ms to load in a warm worker, while a worker thread of its own costs ~3 MB and ~55 ms to spawn (plain Node;
   * several hundred ms from source through tsx), which would blow the cold-start budget.
   * The price of sharing: a CPU-bound plugin delays its worker's neighbours until its interrupt deadline
   * (limits.timeout_ms); other workers and the main thread are unaffected. New sandboxes go to the least loaded worker.
   */
  private pickWorker(): WorkerHost {
    const alive = this.workers.filter((w) => w.alive);
    if (alive.length < this.maxWorkers && alive.every((w) => w.installations.size > 0)) return this.spawnWorker();
    return alive.reduce((a, b) => (b.installations.size < a.installations.size ? b : a));
  }

  private spawnWorker(): WorkerHost {
    const worker = new WorkerHost({
      onHost: (host, msg) => void this.onHostCall(host, msg),
      onLog: (msg) => this.onPluginLog(msg),
      onEmit: (msg) => this.onEmit(msg),
      onExit: (host, reason) => this.onWorkerExit(host, reason),
    });
    this.workers.push(worker);
    return worker;
  }

  /** A worker died (watchdog or crash): its other sandboxes are loaded again elsewhere, their state is kept. */
  private onWorkerExit(host: WorkerHost, reason: string): void {
    const index = this.workers.indexOf(host);
    if (index !== -1) this.workers.splice(index, 1);
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

  private sandboxOf(host: WorkerHost, installationId: string): Instance | undefined {
    const instance = this.instances.get(installationId);
    return instance && instance.worker === host ? instance : undefined;
  }

  private async onHostCall(host: WorkerHost, msg: Extract<FromWorker, { t: 'host' }>): Promise<void> {
    const instance = this.sandboxOf(host, msg.installationId);
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
      reply(true, await this.hostOperation(instance, msg.op, safeParse(msg.args) as Record<string, unknown>));
    } catch (error) {
      const code = error instanceof RuntimeError ? error.code : 'PLUGIN_ERROR';
      reply(false, undefined, { code, message: (error as Error).message });
    }
  }

  /** The host half of the sandbox API. Capabilities are checked again here: the worker is not trusted blindly. */
  private async hostOperation(instance: Instance, op: string, args: Record<string, unknown>): Promise<unknown> {
    const id = instance.spec.installationId;
    const need = (capability: Capability) => {
      if (!instance.capabilities.has(capability)) {
        throw new RuntimeError('PLUGIN_PERMISSION_DENIED', `${capability} not granted`);
      }
    };
    const storage = () => {
      if (!this.options.storage) throw new RuntimeError('PLUGIN_ERROR', 'storage is not configured on this server');
      return this.options.storage;
    };
    switch (op) {
      case 'storage.get':
        need('storage:read');
        return storage().get(id, String(args.key));
      case 'storage.list':
        need('storage:read');
        return storage().list(id, String(args.prefix ?? ''));
      case 'storage.set':
        need('storage:write');
        await storage().set(id, String(args.key), args.value, instance.spec.storageQuotaBytes ?? DEFAULT_STORAGE_QUOTA);
        return undefined;
      case 'storage.delete':
        need('storage:write');
        return storage().delete(id, String(args.key));
      case 'messages.send': {
        need('messages:send');
        if (!this.options.bridge) throw new RuntimeError('PLUGIN_ERROR', 'messaging is not configured on this server');
        const cap = instance.limits.timeout_ms;
        const timeout = typeof args.timeout === 'number' && args.timeout > 0 ? Math.min(args.timeout, cap) : cap;
        return this.options.bridge.sendMessage(id, String(args.target), String(args.type), args.data, timeout);
      }
      case 'http.fetch':
        need('http:external');
        return sandboxFetch(
          args as unknown as SandboxFetchArgs,
          instance.hosts,
          instance.limits.timeout_ms,
          this.fetchImpl,
        );
      default:
        throw new RuntimeError('INVALID_ARGUMENT', `unknown host operation ${op}`);
    }
  }

  private onEmit(msg: Extract<FromWorker, { t: 'emit' }>): void {
    const instance = this.instances.get(msg.installationId);
    if (!instance || !instance.capabilities.has('events:emit')) return;
    const declared = instance.spec.manifest.events?.emits;
    if (declared && !declared.some((e) => e.type === msg.type)) return;
    const event = { type: msg.type, data: parseOr(msg.data, null) };
    Promise.resolve()
      .then(() => this.options.bridge?.emitEvent(msg.installationId, event))
      .catch((error: Error) => this.log(instance, 'warn', `event ${msg.type} was not delivered: ${error.message}`));
  }

  private onPluginLog(msg: Extract<FromWorker, { t: 'log' }>): void {
    const instance = this.instances.get(msg.installationId);
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
    this.notify(() => this.options.observer?.onLog?.(event));
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

  // ---------------------------------------------------------------- helpers

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
      recentFailures: this.recentCrashes(instance),
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

/** Granted ∩ requested: a grant the manifest never asked for is ignored, and so are hosts it did not list. */
export function effectiveGrants(requested: readonly Permission[], granted: readonly Permission[]): Permission[] {
  const asked = new Set(requested.map(capabilityOf));
  const askedHosts = new Set(allowedHosts(requested));
  const result: Permission[] = [];
  for (const permission of granted) {
    const capability = capabilityOf(permission);
    if (!asked.has(capability)) continue;
    if (typeof permission === 'string') result.push(permission);
    else {
      const hosts = permission.hosts.filter((h) => askedHosts.has(h));
      if (hosts.length > 0) result.push({ capability: 'http:external', hosts });
    }
  }
  return result;
}

/** Installation overrides win over the manifest, the manifest over the defaults; all capped by MAX_LIMITS. */
export function resolveLimits(spec: Pick<LoadSpec, 'manifest' | 'limits'>): ResolvedLimits {
  const pick = (key: keyof ResolvedLimits) =>
    Math.min(spec.limits?.[key] ?? spec.manifest.limits?.[key] ?? DEFAULT_LIMITS[key], MAX_LIMITS[key]);
  return { memory_mb: pick('memory_mb'), timeout_ms: pick('timeout_ms'), max_pending: pick('max_pending') };
}

/** JSON.parse that drops `__proto__` keys, so plugin output merged into host objects cannot pollute prototypes. */
export function safeParse(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
}

/** For text the prelude produced with JSON.stringify; never lets a malformed payload throw on the main thread. */
function parseOr(text: string, fallback: unknown): unknown {
  try {
    return safeParse(text);
  } catch {
    return fallback;
  }
}

function normaliseChecks(result: unknown): HealthCheck[] {
  const list = Array.isArray(result)
    ? result
    : result && typeof result === 'object' && Array.isArray((result as { checks?: unknown }).checks)
      ? (result as { checks: unknown[] }).checks
      : undefined;
  if (result === undefined || result === null) return [{ name: 'plugin', status: 'pass' }];
  if (!list) return [{ name: 'plugin', status: 'fail', details: 'onHealth returned neither a list nor { checks }' }];
  return list.map((raw, i) => {
    const c = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const status = c.status === 'pass' || c.status === 'warn' || c.status === 'fail' ? c.status : 'fail';
    const check: HealthCheck = { name: typeof c.name === 'string' ? c.name : `check_${i}`, status };
    if (typeof c.details === 'string') check.details = c.details;
    for (const key of ['value', 'threshold', 'response_time_ms'] as const) {
      if (typeof c[key] === 'number') check[key] = c[key];
    }
    if (typeof c.unit === 'string') check.unit = c.unit;
    return check;
  });
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const suffix = (reason?: string) => (reason ? ` (${reason})` : '');
