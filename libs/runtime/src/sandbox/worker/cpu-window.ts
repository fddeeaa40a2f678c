/** CPU a sandbox used in the current accounting window. Worker code. */
import type { CpuBudget } from '../protocol.js';

export class CpuWindow {
  private start = 0;
  private used = 0;
  /** The budget ran out in this window and the installation was charged for it. */
  charged = false;
  /** Total CPU milliseconds since the sandbox was loaded. */
  total = 0;

  constructor(
    private budget: CpuBudget,
    private floorMs: number,
  ) {}

  update(budget: CpuBudget, floorMs: number): void {
    this.budget = budget;
    this.floorMs = floorMs;
  }

  /** Milliseconds left in the current window (a window is at least as large as one call's timeout). */
  remaining(now: number): number {
    if (now - this.start >= this.budget.windowMs) {
      this.start = now;
      this.used = 0;
      this.charged = false;
    }
    return Math.max(this.budget.budgetMs, this.floorMs) - this.used;
  }

  add(ms: number): void {
    this.used += ms;
    this.total += ms;
  }
}
