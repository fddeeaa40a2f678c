import { decodePayload, encodePayload, type ErrorAnswer, handlerFailure, unsendableAnswer } from './bus-payload.js';
import type { BroadcastListener, RequestContext, RequestHandler } from './message-bus.js';

/** The adapters' common handler side, so both answer, fail and drain alike. */

export type Answer = { ok: true; bytes: Uint8Array } | { ok: false; error: ErrorAnswer };

/** Runs a handler on a request's bytes and turns whatever happens into what goes back. Never rejects. */
export async function answerRequest(
  handler: RequestHandler,
  request: Uint8Array,
  context: RequestContext,
  maxPayloadBytes: number,
): Promise<Answer> {
  let result: unknown;
  try {
    result = await handler(decodePayload(request, 'request'), context);
  } catch (error) {
    return { ok: false, error: handlerFailure(error) };
  }
  try {
    return { ok: true, bytes: encodePayload(result, maxPayloadBytes, 'answer') };
  } catch (error) {
    return { ok: false, error: unsendableAnswer(error) };
  }
}

export type ListenerErrorReporter = (error: unknown, channel: string) => void;

export const reportToStderr: ListenerErrorReporter = (error, channel) => {
  console.error(`message bus: a listener on "${channel}" failed:`, error);
};

/** Hands one broadcast to one listener, with its own parsed copy; a failure goes to `onError` only. */
export function deliverBroadcast(
  listener: BroadcastListener,
  bytes: Uint8Array,
  channel: string,
  onError: ListenerErrorReporter,
): void {
  const report = (error: unknown) => {
    try {
      onError(error, channel);
    } catch {
      // A failing reporter must not take the delivery loop down with it.
    }
  };
  try {
    const done = listener(decodePayload(bytes, 'broadcast'), { channel });
    if (done instanceof Promise) done.catch(report);
  } catch (error) {
    report(error);
  }
}

/** Handlers still running, so that close() can let them answer before the connection goes. */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves when every tracked handler has settled, or after `timeoutMs`, whichever comes first. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.running.size > 0) await within(Promise.allSettled([...this.running]), timeoutMs);
  }
}

/** Waits for `work` to settle (either way) for at most `timeoutMs`. */
export async function within(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([work.then(ignore, ignore), expiry]);
  } finally {
    clearTimeout(timer);
  }
}

const ignore = () => undefined;
