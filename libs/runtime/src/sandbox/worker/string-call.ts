/**
 * A call of one QuickJS function with one string argument whose result is a string, made through the engine's FFI
 * directly. Worker code: relative imports only.
 *
 * `ctx.callFunction` builds a fresh argument array in the WebAssembly heap for every call (a JS array, an
 * Int32Array, a malloc, a copy, a free) and wraps the result in a handle only for `getString` to read it and
 * `dispose` to free it: measured at load 14, 23 us per call of the prelude's dispatch through the library, 17.5 us
 * this way. The argument array here is allocated once and the result string is read and freed at once. It relies
 * on the internals of quickjs-emscripten 0.32 (pinned exactly in package.json), like heap.ts does.
 *
 * The strings themselves skip the library too: `ctx.newString` counts the UTF-8 bytes and encodes them in two
 * JavaScript loops into a fresh malloc, and wraps the pointers in two lifetime objects; `UTF8ToString` scans for
 * the NUL in a JavaScript loop. Here the argument is encoded by `TextEncoder.encodeInto` into a buffer in the
 * WebAssembly heap that every call on the module reuses (one per module: the sandboxes of a worker take turns, and
 * the argument is copied into a QuickJS string before any plugin code runs; kept up to SCRATCH_KEPT bytes), and the
 * result's end is found by `indexOf(0)` before one `TextDecoder` pass.
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';

interface Ffi {
  QTS_NewString(ctx: number, chars: number): number;
  QTS_Call(ctx: number, fn: number, self: number, argc: number, argv: number): number;
  QTS_ResolveException(ctx: number, value: number): number;
  QTS_GetString(ctx: number, value: number): number;
  QTS_FreeCString(ctx: number, chars: number): void;
  QTS_FreeValuePointer(ctx: number, value: number): void;
}

/** A larger argument buffer is freed after its call, so one large payload does not stay allocated. */
const SCRATCH_KEPT = 16 * 1024;

/** The argument buffer of each module: the address of a NUL-terminated UTF-8 string, and its capacity in bytes. */
interface Scratch {
  pointer: number;
  bytes: number;
}
const scratches = new WeakMap<Module, Scratch>();

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Module {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  UTF8ToString(pointer: number): string;
}

interface ContextInternals {
  ffi: Ffi;
  module: Module;
  ctx: { value: number };
  memory: { heapValueHandle(pointer: number): QuickJSHandle };
}

export type StringCallResult = { value: string; error?: undefined } | { value?: undefined; error: QuickJSHandle };

/** The argument could not be placed in the WebAssembly heap (its growth was refused): nothing was called. */
export class ArgumentRefused extends RangeError {}

export class StringCall {
  private readonly ffi: Ffi;
  private readonly module: Module;
  private readonly internals: ContextInternals;
  /** One JSValue pointer: the argument array, reused by every call. */
  private argv: number;
  private words?: Int32Array;
  private readonly scratch: Scratch;

  constructor(
    private readonly ctx: QuickJSContext,
    private readonly fn: QuickJSHandle,
  ) {
    this.internals = ctx as unknown as ContextInternals;
    this.ffi = this.internals.ffi;
    this.module = this.internals.module;
    this.argv = this.module._malloc(4);
    let scratch = scratches.get(this.module);
    if (!scratch) scratches.set(this.module, (scratch = { pointer: 0, bytes: 0 }));
    this.scratch = scratch;
  }

  /** Calls the function with `arg` as its only argument (and `this` undefined); a thrown value comes back as a handle. */
  call(arg: string): StringCallResult {
    const ffi = this.ffi;
    const ctx = this.internals.ctx.value;
    const text = ffi.QTS_NewString(ctx, this.encode(arg));
    if (this.scratch.bytes > SCRATCH_KEPT) this.freeScratch();
    this.heap()[this.argv >> 2] = text;
    let result: number;
    try {
      const self = (this.ctx.undefined as unknown as { value: number }).value;
      result = ffi.QTS_Call(ctx, (this.fn as unknown as { value: number }).value, self, 1, this.argv);
    } finally {
      ffi.QTS_FreeValuePointer(ctx, text);
    }
    const error = ffi.QTS_ResolveException(ctx, result);
    if (error) {
      ffi.QTS_FreeValuePointer(ctx, result);
      return { error: this.internals.memory.heapValueHandle(error) };
    }
    const chars = ffi.QTS_GetString(ctx, result);
    const bytes = this.module.HEAPU8;
    const value = decoder.decode(bytes.subarray(chars, bytes.indexOf(0, chars)));
    ffi.QTS_FreeCString(ctx, chars);
    ffi.QTS_FreeValuePointer(ctx, result);
    return { value };
  }

  dispose(): void {
    if (this.argv) this.module._free(this.argv);
    this.argv = 0;
  }

  /** `arg` as a NUL-terminated UTF-8 string in the WebAssembly heap (at most 3 bytes per UTF-16 unit); its address. */
  private encode(arg: string): number {
    const scratch = this.scratch;
    // At most 3 bytes per UTF-16 unit; counted exactly once that bound would take more than the buffer keeps.
    let needed = arg.length * 3 + 1;
    if (needed > SCRATCH_KEPT) needed = Buffer.byteLength(arg) + 1;
    if (needed > scratch.bytes) {
      this.freeScratch();
      const pointer = this.module._malloc(needed);
      if (!pointer) throw new ArgumentRefused('no memory for the call argument');
      scratch.pointer = pointer;
      scratch.bytes = needed;
    }
    // Read after the malloc: it may have grown the memory, which replaces HEAPU8.
    const bytes = this.module.HEAPU8;
    const { written } = encoder.encodeInto(arg, bytes.subarray(scratch.pointer, scratch.pointer + needed - 1));
    bytes[scratch.pointer + written] = 0;
    return scratch.pointer;
  }

  private freeScratch(): void {
    if (this.scratch.pointer) this.module._free(this.scratch.pointer);
    this.scratch.pointer = 0;
    this.scratch.bytes = 0;
  }

  /** The heap as 32-bit words; a new view whenever the memory has grown (which detaches the old buffer). */
  private heap(): Int32Array {
    const buffer = this.module.HEAPU8.buffer;
    if (this.words?.buffer !== buffer) this.words = new Int32Array(buffer);
    return this.words;
  }
}
