/**
 * Worker-thread entry: hosts several QuickJS sandboxes (one QuickJSRuntime + context per installation) on one
 * WebAssembly module. Loaded by plain Node (compiled .js) or through tsx from source, so: no decorators, no path
 * aliases, relative imports only.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';
import { ControlBlock, decodeCall, type ToWorker } from './protocol.js';
import { fatal, post } from './worker/channel.js';
import { MemoryGovernor } from './worker/memory-governor.js';
import { Sandbox, type SandboxHooks } from './worker/sandbox.js';
import { StartupError } from './worker/wire-errors.js';

/** Heaps abandoned (see Sandbox.dispose) before the worker asks to be replaced, counted at their real size. */
const ABANDONED_BYTES_BUDGET = 256 * 1024 * 1024;

const sandboxes = new Map<string, Sandbox>();
/** The same sandboxes by slot: calls name their sandbox by slot (see encodeCall). */
const bySlot = new Map<number, Sandbox>();

function forget(installationId: string): void {
  const sandbox = sandboxes.get(installationId);
  if (!sandbox) return;
  sandboxes.delete(installationId);
  if (bySlot.get(sandbox.setup.slot) === sandbox) bySlot.delete(sandbox.setup.slot);
}
const control = new ControlBlock((workerData as { control: SharedArrayBuffer }).control);
const governor = new MemoryGovernor();

/** Abandoned bytes per installation: the largest share is blamed when the worker must be recycled for them. */
const abandoned = new Map<string, number>();
let abandonedTotal = 0;
let recycleRequested = false;

const hooks: SandboxHooks = {
  onUnsafe(sandbox, kind, error) {
    const message = error instanceof Error ? error.message : String(error);
    const culprit = sandbox.installationId;
    if (sandboxes.get(culprit) === sandbox) forget(culprit);
    if (kind === 'trap') {
      // Nothing in this module can be trusted after a trap: the main thread terminates the worker now.
      fatal(`the WebAssembly module trapped in ${culprit}: ${message}`, culprit);
    } else if (!recycleRequested) {
      // The native stack unwound through QuickJS frames, or freeing one heap aborted: the other heaps are intact,
      // so the module is replaced once they have moved.
      recycleRequested = true;
      const what = kind === 'native_stack' ? 'the native stack overflowed' : 'freeing its heap failed';
      post({ t: 'recycle', reason: `${what} in ${culprit}: ${message}`, culprit });
    }
  },
  onAbandoned(sandbox, bytes) {
    const id = sandbox.installationId;
    abandoned.set(id, (abandoned.get(id) ?? 0) + bytes);
    abandonedTotal += bytes;
    if (abandonedTotal <= ABANDONED_BYTES_BUDGET || recycleRequested) return;
    recycleRequested = true;
    const [culprit] = [...abandoned.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
    post({ t: 'recycle', reason: `${abandonedTotal} bytes of abandoned heaps`, culprit });
  },
};

function handle(module: QuickJSWASMModule, msg: ToWorker): void {
  switch (msg.t) {
    case 'load': {
      const { installationId } = msg.setup;
      sandboxes.get(installationId)?.dispose();
      forget(installationId);
      const sandbox = new Sandbox(module, msg.setup, control, governor, hooks);
      try {
        sandbox.load(msg.code, msg.filename);
        sandboxes.set(installationId, sandbox);
        bySlot.set(msg.setup.slot, sandbox);
        post({ t: 'result', id: msg.id, outcome: 'ok' });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const kind = error instanceof StartupError ? error.kind : 'error';
        sandbox.dispose();
        post({
          t: 'result',
          id: msg.id,
          outcome: kind === 'timeout' ? 'timeout' : 'error',
          error: {
            code: kind === 'memory' ? 'PLUGIN_MEMORY_LIMIT' : 'PLUGIN_STARTUP_FAILED',
            message,
            reason: sandbox.tainted,
          },
        });
      }
      return;
    }
    case 'reconfigure':
      sandboxes.get(msg.installationId)?.reconfigure(msg.grants);
      post({ t: 'result', id: msg.id, outcome: 'ok' });
      return;
    case 'host-result':
      sandboxes.get(msg.installationId)?.hostResult(msg.hostId, msg.ok, msg.value, msg.error);
      return;
    case 'unload':
      sandboxes.get(msg.installationId)?.dispose();
      forget(msg.installationId);
      post({ t: 'result', id: msg.id, outcome: 'ok' });
      return;
  }
}

const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: governor.memory }));
/** A hook call (the hot path): one string in, and for a plain answer one string out. */
function call(text: string): void {
  const msg = decodeCall(text);
  const sandbox = bySlot.get(msg.slot);
  if (!sandbox) {
    post({ t: 'result', id: msg.id, outcome: 'error', error: { code: 'PLUGIN_NOT_LOADED', message: 'not loaded' } });
    return;
  }
  sandbox.call(msg);
}

/** After a message, how long to look for the next one before the thread sleeps (RuntimeOptions.workerSpinMicros). */
const SPIN_AFTER_MESSAGE_MS = (workerData as { spinMicros: number }).spinMicros / 1000;

parentPort!.on('message', (first: ToWorker | string) => {
  receive(first);
  if (SPIN_AFTER_MESSAGE_MS <= 0) return;
  let until = performance.now() + SPIN_AFTER_MESSAGE_MS;
  while (performance.now() < until) {
    const next = receiveMessageOnPort(parentPort!);
    if (!next) continue;
    receive(next.message as ToWorker | string);
    until = performance.now() + SPIN_AFTER_MESSAGE_MS;
  }
});

function receive(msg: ToWorker | string): void {
  try {
    if (typeof msg === 'string') call(msg);
    else handle(quickjs, msg);
  } catch (error) {
    // A bug or an exhausted WASM heap: report it on the request so the main thread is not left waiting.
    const id = typeof msg === 'string' ? decodeCall(msg).id : 'id' in msg ? msg.id : undefined;
    if (id !== undefined) {
      const message = error instanceof Error ? error.message : String(error);
      post({ t: 'result', id, outcome: 'error', error: { code: 'PLUGIN_ERROR', message: `sandbox: ${message}` } });
    }
  }
}
post({ t: 'ready' });
