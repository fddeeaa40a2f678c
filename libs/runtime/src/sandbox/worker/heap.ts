/**
 * What the engine says about a sandbox's heap. Worker code: relative imports only.
 *
 * Two measures, because QuickJS's own accounting is not the real size in this build: its allocator counts
 * `malloc_usable_size() + 8` per block and emscripten's usable size is 0, so `malloc_size` grows by 8 bytes per
 * allocation whatever its size (measured: a runtime limited to 8 MiB held 200 MiB of strings).
 * - `counted()` is that accounting, read straight from the runtime's JSMallocState (no allocation, cheap enough
 *   for the interrupt handler). It is what QuickJS's memory limit compares against, so it tells whether the engine
 *   itself ran out of room.
 * - `measured()` is JS_ComputeMemoryUsage's `memory_used_size`, the real size of what the heap holds; it walks the
 *   heap, so it runs at checkpoints only (see Sandbox.checkpoint).
 */
import type { QuickJSContext, QuickJSRuntime } from 'quickjs-emscripten';

interface RuntimeInternals {
  rt: { value: number };
  module: { HEAPU8: Uint8Array };
}

export class HeapGauge {
  private words: Uint32Array;
  /** Word index of JSMallocState.malloc_count in the JSRuntime struct; malloc_size and malloc_limit follow. */
  private readonly countIndex: number | undefined;

  constructor(
    private readonly rt: QuickJSRuntime,
    private readonly ctx: QuickJSContext,
    limit: number,
  ) {
    this.words = this.view();
    this.countIndex = this.locate(limit);
  }

  /** Live allocations, as QuickJS counts them (0 when the struct could not be located). */
  allocations(): number {
    if (this.countIndex === undefined) return 0;
    return this.read(this.countIndex);
  }

  /** QuickJS's own `malloc_size` as a fraction of its `malloc_limit`. */
  countedShare(): number {
    if (this.countIndex === undefined) return 0;
    const limit = this.read(this.countIndex + 2);
    return limit > 0 ? this.read(this.countIndex + 1) / limit : 0;
  }

  /** The real bytes the heap holds (walks the heap). */
  measured(): number {
    const usage = this.rt.computeMemoryUsage();
    const used = this.ctx.getProp(usage, 'memory_used_size');
    const bytes = this.ctx.getNumber(used);
    used.dispose();
    usage.dispose();
    return bytes;
  }

  /**
   * Finds JSMallocState in the runtime struct by the limit just set, and checks the find against the engine's
   * own report; without a match `allocations` and `countedShare` read 0 and only `measured` is used.
   */
  private locate(limit: number): number | undefined {
    const base = this.base();
    const usage = this.rt.computeMemoryUsage();
    const countHandle = this.ctx.getProp(usage, 'malloc_count');
    const count = this.ctx.getNumber(countHandle);
    countHandle.dispose();
    usage.dispose();
    for (let i = 2; i < 24; i++) {
      if (this.words[base + i] === limit >>> 0 && this.words[base + i - 2] === count) return base + i - 2;
    }
    return undefined;
  }

  private base(): number {
    return (this.rt as unknown as RuntimeInternals).rt.value >>> 2;
  }

  private read(index: number): number {
    if (this.words.buffer !== (this.rt as unknown as RuntimeInternals).module.HEAPU8.buffer) this.words = this.view();
    return this.words[index];
  }

  private view(): Uint32Array {
    return new Uint32Array((this.rt as unknown as RuntimeInternals).module.HEAPU8.buffer);
  }
}
