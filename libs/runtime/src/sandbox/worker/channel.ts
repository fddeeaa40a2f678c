/** The worker's side of the channel to the main thread. Worker code: relative imports only. */
import { parentPort } from 'node:worker_threads';
import type { FromWorker } from '../protocol.js';

export function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

/**
 * A WebAssembly trap means the shared QuickJS heap may be inconsistent: ask the main thread to replace this
 * worker (it reloads the other sandboxes elsewhere). Messages are ordered, so results posted before arrive first.
 */
export function fatal(reason: string): void {
  post({ t: 'fatal', reason });
}
