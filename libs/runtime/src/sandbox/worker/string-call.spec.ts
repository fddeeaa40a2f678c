import fc from 'fast-check';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  RELEASE_SYNC,
  type QuickJSContext,
  type QuickJSHandle,
} from 'quickjs-emscripten';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryGovernor } from './memory-governor.js';
import { ArgumentRefused, StringCall } from './string-call.js';

describe('StringCall', () => {
  let ctx: QuickJSContext;
  const handles: QuickJSHandle[] = [];

  beforeAll(async () => {
    const module = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
    ctx = module.newRuntime().newContext();
  });

  afterAll(() => {
    for (const handle of handles) handle.dispose();
    const runtime = ctx.runtime;
    ctx.dispose();
    runtime.dispose();
  });

  function compile(source: string): StringCall {
    const fn = ctx.unwrapResult(ctx.evalCode(source));
    handles.push(fn);
    return new StringCall(ctx, fn);
  }

  it('hands over any string and reads back the string the function returned', () => {
    // Strings cross as C strings, through the library's newString too: a NUL ends them (the prelude's JSON has none).
    const call = compile(`(function (s) { return s.length + ':' + s; })`);
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((text) => !text.includes('\0')),
        (text) => {
          expect(call.call(text)).toEqual({ value: `${text.length}:${text}` });
        },
      ),
    );
    call.dispose();
  });

  it('hands over arguments of any size in turn, multi-byte text included (the buffer two calls share is reused, grown and freed)', () => {
    const calls = [
      compile(`(function (s) { return s.length + ':' + s.slice(-3); })`),
      compile(`(function (s) { return s.slice(0, 3) + ':' + s.length; })`),
    ];
    const expected = [(s: string) => `${s.length}:${s.slice(-3)}`, (s: string) => `${s.slice(0, 3)}:${s.length}`];
    const sizes = [0, 1, 100, 5_000, 20_000, 3, 300_000, 10, 16_384, 2, 40_000, 7];
    for (const [i, size] of sizes.entries()) {
      // Alternately one-byte and 3-byte UTF-8 characters, so the byte length is not the string's length.
      const text = (i % 2 ? 'é€' : 'ab').repeat(size).slice(0, size);
      expect(calls[i % 2].call(text)).toEqual({ value: expected[i % 2](text) });
    }
    calls[0].dispose();
    expect(calls[1].call('after')).toEqual({ value: 'aft:5' }); // the other call's dispose left the buffer alone
    calls[1].dispose();
  });

  it('returns what the function threw as a handle, and the next call works', () => {
    const call = compile(`(function (s) { if (s === 'bad') throw new RangeError('no ' + s); return 'ok ' + s; })`);
    const failed = call.call('bad');
    expect(failed.value).toBeUndefined();
    expect(ctx.dump(failed.error!)).toMatchObject({ name: 'RangeError' });
    failed.error!.dispose();
    expect(call.call('fine')).toEqual({ value: 'ok fine' });
    call.dispose();
  });

  it('keeps working after the WebAssembly memory grew between calls (its heap view is renewed)', () => {
    const call = compile(
      `(function (s) { globalThis.kept = (globalThis.kept || []).concat([s.repeat(1 << 20)]); return String(kept.length); })`,
    );
    const buffers = new Set<unknown>();
    const heap = () => (ctx as unknown as { module: { HEAPU8: Uint8Array } }).module.HEAPU8.buffer;
    for (let i = 1; i <= 40; i++) {
      buffers.add(heap());
      expect(call.call('ab')).toEqual({ value: String(i) });
    }
    buffers.add(heap());
    expect(buffers.size).toBeGreaterThan(1); // the memory did grow while calls went on
    call.dispose();
  });
});

describe('StringCall under a memory governor', () => {
  it('refuses an argument whose buffer the governor will not grow the memory for, and works on afterwards', async () => {
    const governor = new MemoryGovernor();
    const module = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: governor.memory }));
    const ctx = module.newRuntime().newContext();
    const fn = ctx.unwrapResult(ctx.evalCode(`(function (s) { return String(s.length); })`));
    const call = new StringCall(ctx, fn);
    const huge = 'x'.repeat(64 * 1024 * 1024); // more than the 16 MiB the memory starts with
    governor.enter({ allowGrowth: () => false });
    expect(() => call.call(huge)).toThrow(ArgumentRefused);
    expect(call.call('small')).toEqual({ value: '5' });
    governor.leave();
    expect(call.call(huge.slice(0, 20 * 1024 * 1024))).toEqual({ value: String(20 * 1024 * 1024) });
    call.dispose();
    fn.dispose();
    const runtime = ctx.runtime;
    ctx.dispose();
    runtime.dispose();
  });
});
