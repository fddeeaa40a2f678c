/**
 * Worker-thread entry: hosts several QuickJS sandboxes (one QuickJSRuntime + context per installation) on one
 * WebAssembly module. Loaded by plain Node (compiled .js) or through tsx from source, so: no decorators, no path
 * aliases, relative imports only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';
import { ControlBlock, type ToWorker } from './protocol.js';
import { fatal, post } from './worker/channel.js';
import { MemoryGovernor } from './worker/memory-governor.js';
import { Sandbox, type SandboxHooks } from './worker/sandbox.js';
import { StartupError } from './worker/wire-errors.js';

/** Heaps abandoned (see Sandbox.dispose) before the worker asks to be replaced, counted at their real size. */
const ABANDONED_BYTES_BUDGET = 256 * 1024 * 1024;

const sandboxes = new Map<string, Sandbox>();
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
    sandboxes.delete(culprit);
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
      const sandbox = new Sandbox(module, msg.setup, control, governor, hooks);
      try {
        sandbox.load(msg.code, msg.filename);
        sandboxes.set(installationId, sandbox);
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
    case 'call': {
      const sandbox = sandboxes.get(msg.installationId);
      if (!sandbox) {
        post({
          t: 'result',
          id: msg.id,
          outcome: 'error',
          error: { code: 'PLUGIN_NOT_LOADED', message: 'not loaded' },
        });
        return;
      }
      sandbox.call(msg.id, msg.hook, msg.payload, msg.timeoutMs, msg.requestId);
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
      sandboxes.delete(msg.installationId);
      post({ t: 'result', id: msg.id, outcome: 'ok' });
      return;
  }
}

const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: governor.memory }));
parentPort!.on('message', (msg: ToWorker) => {
  try {
    handle(quickjs, msg);
  } catch (error) {
    // A bug or an exhausted WASM heap: report it on the request so the main thread is not left waiting.
    if ('id' in msg) {
      const message = error instanceof Error ? error.message : String(error);
      post({
        t: 'result',
        id: msg.id,
        outcome: 'error',
        error: { code: 'PLUGIN_ERROR', message: `sandbox: ${message}` },
      });
    }
  }
});
post({ t: 'ready' });
