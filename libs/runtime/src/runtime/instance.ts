import type { Capability } from '@app/plugin-sdk';
import type { RemotePluginClient } from '../remote/remote-plugin-client.js';
import type { InstanceState, LoadSpec, ResolvedLimits } from '../runtime.types.js';
import type { WorkerHost } from '../sandbox/worker-host.js';

/** The runtime's record of one loaded installation. */
export interface Instance {
  spec: LoadSpec;
  kind: 'sandbox' | 'remote';
  state: InstanceState;
  reason?: string;
  limits: ResolvedLimits;
  capabilities: Set<Capability>;
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
  /** No state change published yet: the first one reports `from: null`. */
  fresh: boolean;
  /** Set while a (re)load runs; calls arriving meanwhile wait for it instead of failing. */
  starting?: Promise<void>;
}
