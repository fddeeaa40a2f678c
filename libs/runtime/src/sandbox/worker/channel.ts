/** The worker's side of the channel to the main thread. Worker code: relative imports only. */
import { parentPort } from 'node:worker_threads';
import type { FromWorker } from '../protocol.js';

/** A message to the main thread; a string is a call's plain answer (see encodeAnswer). */
export function post(message: FromWorker | string): void {
  parentPort!.postMessage(message);
}

/**
 * The worker's WebAssembly module can no longer be trusted: ask the main thread to terminate this worker now (it
 * retries the neighbours' calls elsewhere). Messages are ordered, so results posted before arrive first.
 */
export function fatal(reason: string, culprit?: string): void {
  post({ t: 'fatal', reason, culprit });
}
