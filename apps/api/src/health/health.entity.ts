/** The answer of one dependency check. */
export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}
