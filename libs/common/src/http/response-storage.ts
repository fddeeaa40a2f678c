import { AsyncLocalStorage } from 'node:async_hooks';

/** A response as far as ResponseStorage needs it: Node's ServerResponse (a Fastify `reply.raw`) is one. */
export interface ClosingResponse {
  /** Whether the response has already closed (sent, or its connection gone). */
  readonly closed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * An AsyncLocalStorage for a request's own store that is enabled only while a response it serves is open.
 *
 * On Node 20 an enabled AsyncLocalStorage turns Node's promise hooks on for the whole process: from then on every
 * promise any request makes pays an init hook that copies the stores, also on the reads that never open a scope
 * (GET /api/auth/me/ paid ~5% of its CPU for the audit note of the login before it). This one counts the
 * responses its scopes serve and disables the storage when the last of them closes; Node turns the hooks off with
 * the last enabled storage, and the next `run` turns them on again.
 *
 * A store is for the request's own handling: work a request leaves running after its response closed sees the
 * store only while another scope of the storage is open.
 */
export class ResponseStorage<T> {
  private readonly storage = new AsyncLocalStorage<T>();
  private open = 0;

  /**
   * Runs `fn` with `store` as the current store, for it and for everything it awaits; the storage stays enabled
   * at least until `response` closes.
   */
  run<R>(response: ClosingResponse, store: T, fn: () => R): R {
    if (!response.closed) {
      this.open++;
      response.once('close', this.closed);
    }
    return this.storage.run(store, fn);
  }

  /** The store of the scope the current code runs in, if any. */
  getStore(): T | undefined {
    return this.storage.getStore();
  }

  /** The number of responses still open that the storage is enabled for. */
  get openResponses(): number {
    return this.open;
  }

  private readonly closed = (): void => {
    this.open--;
    if (this.open === 0) this.storage.disable();
  };
}
