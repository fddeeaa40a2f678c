/**
 * Bounds how far one sandbox can grow the worker's shared WebAssembly memory. QuickJS's own limit undercounts
 * (heap.ts), so a plugin allocating large blocks could otherwise take the whole module's 2 GiB and leave its
 * neighbours without memory. Every growth of the memory happens inside some sandbox's run: the governor asks that
 * sandbox whether it may grow, and a refusal surfaces in it alone as an out-of-memory. Worker code.
 */

/** The sandbox whose code is running when the memory is asked to grow. */
export interface GrowthClient {
  allowGrowth(bytes: number): boolean;
}

interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65_536;
/** Emscripten's largest heap; its glue refuses to grow past it. */
const MAX_BYTES = 2 * 1024 * 1024 * 1024;
const INITIAL_BYTES = 16 * 1024 * 1024;

export class MemoryGovernor {
  readonly memory: WasmMemory;
  private running?: GrowthClient;

  constructor() {
    const ctor = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory } }).WebAssembly
      .Memory;
    const memory = new ctor({ initial: INITIAL_BYTES / PAGE, maximum: MAX_BYTES / PAGE });
    const grow = memory.grow.bind(memory);
    // Emscripten's glue calls grow() and treats a throw as "no more memory": malloc then returns NULL and QuickJS
    // raises its out-of-memory error in the sandbox that was allocating.
    memory.grow = (pages: number) => {
      if (this.running && !this.running.allowGrowth(pages * PAGE)) throw new RangeError('memory growth refused');
      return grow(pages);
    };
    this.memory = memory;
  }

  enter(client: GrowthClient): void {
    this.running = client;
  }

  leave(): void {
    this.running = undefined;
  }
}
