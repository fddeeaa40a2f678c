/**
 * The CPU time of the calling thread, so that a sandbox is charged for the CPU its code used and not for the time
 * its worker spent descheduled on a loaded machine. Worker code: relative imports only.
 *
 * Node 20 has no per-thread CPU clock (`process.threadCpuUsage` came in Node 23.9; `process.cpuUsage()` sums all
 * threads), and Linux's /proc/thread-self/schedstat is only brought up to date at scheduler ticks and switches
 * (measured: a 100 us run read 0, the next one 3.4 ms), which would charge whichever run straddles an update.
 * WASI's `clock_time_get` with the thread CPU clock is `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` in Node's uvwasi,
 * exact to the nanosecond; read through a WebAssembly module of one function it costs ~0.9 us of CPU (measured at
 * load 13). Where WASI cannot be set up, the clock falls back to wall time and says so (`kind`).
 */
import { WASI } from 'node:wasi';

export interface ThreadClock {
  /** `thread`: this thread's CPU time; `wall`: the fallback, a monotonic wall clock. */
  readonly kind: 'thread' | 'wall';
  /** Milliseconds, from an arbitrary origin. */
  now(): number;
}

/**
 * (module
 *   (import "wasi_snapshot_preview1" "clock_time_get" (func $get (param i32 i64 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (func (export "now") (result f64)
 *     (drop (call $get (i32.const 3) (i64.const 1) (i32.const 0)))   ;; clock 3: thread CPU time, into address 0
 *     (f64.convert_i64_u (i64.load (i32.const 0)))))                  ;; nanoseconds, as a number
 */
function clockModule(): Uint8Array {
  const name = (text: string) => [text.length, ...Buffer.from(text, 'latin1')];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const I32 = 0x7f;
  const I64 = 0x7e;
  const F64 = 0x7c;
  const FUNC = 0x60;
  const body = [
    0, // no locals
    ...[0x41, 3], // i32.const 3 (CLOCK_THREAD_CPUTIME_ID in WASI's numbering)
    ...[0x42, 1], // i64.const 1 (precision: 1 ns)
    ...[0x41, 0], // i32.const 0 (where the timestamp goes)
    ...[0x10, 0], // call $get
    0x1a, // drop the errno
    ...[0x41, 0], // i32.const 0
    ...[0x29, 3, 0], // i64.load align=8 offset=0
    0xba, // f64.convert_i64_u
    0x0b, // end
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // \0asm, version 1
    ...section(1, [2, FUNC, 3, I32, I64, I32, 1, I32, FUNC, 0, 1, F64]), // types
    ...section(2, [1, ...name('wasi_snapshot_preview1'), ...name('clock_time_get'), 0, 0]), // import, type 0
    ...section(3, [1, 1]), // one function of type 1
    ...section(5, [1, 0, 1]), // one memory of one page
    ...section(7, [2, ...name('memory'), 2, 0, ...name('now'), 0, 1]), // exports
    ...section(10, [1, body.length, ...body]), // code
  ]);
}

/** The part of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

let clock: ThreadClock | undefined;

/** This thread's clock, set up on first use. */
export function threadClock(): ThreadClock {
  clock ??= create();
  return clock;
}

function create(): ThreadClock {
  try {
    const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly; // not in this project's lib
    const wasi = new WASI({ version: 'preview1' });
    const instance = new wasm.Instance(new wasm.Module(clockModule()), wasi.getImportObject());
    wasi.initialize(instance);
    const read = instance.exports.now as () => number;
    const first = read();
    // A clock that reads 0 or does not move over work is not a CPU clock.
    let spin = 0;
    for (let i = 0; i < 100_000; i++) spin += i;
    if (!(first > 0) || !(read() > first) || spin < 0) throw new Error('the thread CPU clock does not run');
    return { kind: 'thread', now: () => read() / 1e6 };
  } catch {
    return { kind: 'wall', now: () => performance.now() };
  }
}
