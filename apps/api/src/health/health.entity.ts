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
