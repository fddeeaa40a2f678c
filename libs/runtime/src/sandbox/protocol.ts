/**
 * Messages between the main thread (WorkerHost) and a sandbox worker. Plugin data crosses as JSON text so that
 * nothing but plain data ever moves between the host realm, the worker and QuickJS.
 */

export type HookOutcome = 'ok' | 'error' | 'timeout' | 'killed';

export interface SandboxSetup {
  installationId: string;
  plugin: { key: string; version: string };
  /** Already filtered: secrets are only present when `secrets:read` is granted. */
  config: Record<string, unknown>;
  /** Granted capability ids (hosts stay on the main thread, which does the fetching). */
  capabilities: string[];
  /** Event types the plugin may emit, or null when the manifest does not restrict them. */
  emits: string[] | null;
  memoryBytes: number;
  timeoutMs: number;
}

export interface WireError {
  /** Runtime error code (see RuntimeErrorCode). */
  code: string;
  message: string;
}

export type ToWorker =
  | { t: 'load'; id: number; setup: SandboxSetup; code: string; filename: string }
  | { t: 'call'; id: number; installationId: string; hook: string; payload: string | undefined; timeoutMs: number }
  | { t: 'unload'; id: number; installationId: string }
  | { t: 'host-result'; installationId: string; hostId: number; ok: boolean; value?: string; error?: WireError };

export type FromWorker =
  | { t: 'ready' }
  | {
      t: 'result';
      id: number;
      outcome: HookOutcome;
      value?: string;
      error?: WireError;
      memoryBytes?: number;
    }
  | { t: 'host'; installationId: string; hostId: number; op: string; args: string }
  | { t: 'log'; installationId: string; level: string; message: string; fields?: string }
  | { t: 'emit'; installationId: string; type: string; data: string }
  /** The worker's WebAssembly heap can no longer be trusted; terminate it. */
  | { t: 'fatal'; reason: string };
