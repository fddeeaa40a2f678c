import type { Capability, NormalizedManifest } from '@app/plugin-sdk';
import type { RemotePluginClient } from '../remote/remote-plugin-client.js';
import type { InstanceState, LoadSpec, ResolvedLimits } from '../runtime.types.js';
import type { WorkerHost } from '../sandbox/worker-host.js';

/** The runtime's record of one loaded installation. */
export interface Instance {
  spec: LoadSpec;
  /** The manifest with its synonyms resolved (runtime from main, hook function names). */
  manifest: NormalizedManifest;
  kind: 'sandbox' | 'remote';
  state: InstanceState;
  reason?: string;
  limits: ResolvedLimits;
  capabilities: Set<Capability>;
  /** Effective grants as `context.grants` shows them: capability ids and custom scopes. */
  grants: string[];
  hosts: string[];
  worker?: WorkerHost;
  /** The worker it is moving away from; its calls still in flight there finish there. */
  previous?: WorkerHost;
  /** Its slot in its worker's control block. */
  slot?: number;
  remote?: RemotePluginClient;
  startedAt?: Date;
  pending: number;
  calls: number;
  errors: number;
  crashes: number[];
  memoryBytes?: number;
  cpuMs: number;
  lastError?: string;
  /** What onInit returned, when small enough to keep. */
  initResult?: unknown;
  /** No state change published yet: the first one reports `from: null`. */
  fresh: boolean;
  /** Set while a (re)load runs; calls arriving meanwhile wait for it instead of failing. */
  starting?: Promise<void>;
}
