import { executionAsyncId } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ResponseStorage } from './response-storage.js';

/** A response that closes when told to, as a ServerResponse does once it is sent. */
class Response extends EventEmitter {
  closed = false;
  close(): void {
    this.closed = true;
    this.emit('close');
  }
}

/** The async id a promise continuation runs under: 0 while Node's promise hooks are off. */
async function promiseAsyncId(): Promise<number> {
  await Promise.resolve();
  return executionAsyncId();
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The store `storage` shows after an await, inside a scope of `response`. */
function storeAfterAwait(storage: ResponseStorage<string>, response: Response, store: string) {
  return storage.run(response, store, async () => {
    await nextTurn();
    return storage.getStore();
  });
}

describe('ResponseStorage', () => {
  it('gives the store to what the scope awaits, and to nothing outside it', async () => {
    const storage = new ResponseStorage<string>();
    const response = new Response();
    expect(await storeAfterAwait(storage, response, 'req-1')).toBe('req-1');
    expect(storage.getStore()).toBeUndefined();
    response.close();
  });

  it('keeps the promise hooks on while a response is open and turns them off when the last one closes', async () => {
    const storage = new ResponseStorage<string>();
    const first = new Response();
    const second = new Response();
    expect(await promiseAsyncId()).toBe(0);
    await storage.run(first, 'a', nextTurn);
    await storage.run(second, 'b', nextTurn);
    expect(storage.openResponses).toBe(2);

    first.close();
    expect(storage.openResponses).toBe(1);
    expect(await promiseAsyncId()).not.toBe(0);
    // The open one still has its store across awaits.
    expect(await storeAfterAwait(storage, second, 'b')).toBe('b');

    second.close();
    expect(storage.openResponses).toBe(0);
    expect(await promiseAsyncId()).toBe(0);
    const third = new Response();
    expect(await storeAfterAwait(storage, third, 'c')).toBe('c');
    third.close();
  });

  it('counts each scope until its response closes, and none whose response had already closed', async () => {
    const storage = new ResponseStorage<string>();
    const done = new Response();
    done.close();
    storage.run(done, 'late', () => undefined);
    expect(storage.openResponses).toBe(0);

    const response = new Response();
    storage.run(response, 'x', () => undefined);
    storage.run(response, 'y', () => undefined);
    expect(storage.openResponses).toBe(2);
    response.close();
    expect(storage.openResponses).toBe(0);
    expect(await promiseAsyncId()).toBe(0);
  });
});
