/**
 * Worker-thread entry: hosts several QuickJS sandboxes (one QuickJSRuntime + context per installation) on one
 * WebAssembly module. Loaded by plain Node (compiled .js) or through tsx from source, so: no decorators, no path
 * aliases, relative imports only.
 */
import { parentPort } from 'node:worker_threads';
import { newQuickJSWASMModule, type QuickJSWASMModule } from 'quickjs-emscripten';
import type { ToWorker } from './protocol.js';
import { post } from './worker/channel.js';
import { Sandbox } from './worker/sandbox.js';

const sandboxes = new Map<string, Sandbox>();

function handle(module: QuickJSWASMModule, msg: ToWorker): void {
  switch (msg.t) {
    case 'load': {
      const { installationId } = msg.setup;
      sandboxes.get(installationId)?.dispose();
      const sandbox = new Sandbox(module, msg.setup);
      try {
        sandbox.load(msg.code, msg.filename);
        sandboxes.set(installationId, sandbox);
        post({ t: 'result', id: msg.id, outcome: 'ok' });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const outOfMemory = message.includes('out of memory');
        if (outOfMemory) sandbox.markTainted();
        sandbox.dispose();
        post({
          t: 'result',
          id: msg.id,
          outcome: message.includes('did not finish within') ? 'timeout' : 'error',
          error: { code: outOfMemory ? 'PLUGIN_MEMORY_LIMIT' : 'PLUGIN_STARTUP_FAILED', message },
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
      sandbox.call(msg.id, msg.hook, msg.payload, msg.timeoutMs);
      return;
    }
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

const quickjs = await newQuickJSWASMModule();
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
