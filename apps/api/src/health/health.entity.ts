/** The answer of one dependency check. */
export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

/** What the runtime hosts right now: its worker threads and its plugin instances by state. */
export interface RuntimeSnapshot {
  workersAlive: number;
  workersDedicated: number;
  workersMax: number;
  instances: Record<'loading' | 'ready' | 'failed' | 'stopping' | 'stopped', number>;
}

/** The message bus as readiness reports it (messaging's MessageBus status). */
export interface BusCheck {
  status: 'up' | 'down';
  adapter: 'in-process' | 'nats';
  state: 'connected' | 'reconnecting' | 'closed';
  /** When `state` last changed. */
  since: Date;
  /** NATS: the server it talks to, or is trying to reach. */
  server?: string;
}
