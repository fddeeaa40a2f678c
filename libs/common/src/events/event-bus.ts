import type { JsonLogger } from '../logging/json-logger.js';
import type { PlughubEventName, PlughubEvents } from './plughub-events.js';

export type PlughubEventHandler<K extends PlughubEventName> = (payload: PlughubEvents[K]) => void | Promise<void>;

export interface EventHandlerOptions {
  /** Lower runs first; handlers of equal priority run in registration order. Default 0. */
  priority?: number;
  /** Shown in the log when the handler fails (the decorator uses `Class.method`). */
  name?: string;
}

interface Registered {
  handler: (payload: never) => void | Promise<void>;
  priority: number;
  name: string;
  seq: number;
}

const isThenable = (v: unknown): v is PromiseLike<void> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/**
 * The in-process typed event bus (immich's EventRepository, without the socket part). Handlers run one after the
 * other in priority order; an async handler is awaited before the next one starts. A handler that throws or
 * rejects is logged and skipped: it never stops the other handlers, and never reaches the emitter.
 *
 * Handlers are usually methods decorated with `@OnPlughubEvent(name)`, registered at boot by CommonModule; `on`
 * registers one by hand (tests, or code outside Nest).
 */
export class EventBus {
  private readonly handlers = new Map<PlughubEventName, Registered[]>();
  private seq = 0;

  constructor(private readonly logger: JsonLogger) {}

  /** Registers a handler; the returned function removes it again. */
  on<K extends PlughubEventName>(
    event: K,
    handler: PlughubEventHandler<K>,
    options: EventHandlerOptions = {},
  ): () => void {
    const entry: Registered = {
      handler,
      priority: options.priority ?? 0,
      name: options.name ?? (handler.name || 'anonymous handler'),
      seq: this.seq++,
    };
    const list = [...(this.handlers.get(event) ?? []), entry].sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.handlers.set(event, list);
    return () => {
      const rest = (this.handlers.get(event) ?? []).filter((h) => h !== entry);
      if (rest.length) this.handlers.set(event, rest);
      else this.handlers.delete(event);
    };
  }

  hasHandlers(event: PlughubEventName): boolean {
    return this.handlers.has(event);
  }

  /** Runs every handler of `event` in order; resolves when the last one is done. Never rejects. */
  emit<K extends PlughubEventName>(event: K, payload: PlughubEvents[K]): Promise<void> {
    const list = this.handlers.get(event);
    if (!list) return Promise.resolve();
    return Promise.resolve(this.run(event, payload, list, 0));
  }

  /**
   * Fire and forget, for hot paths (the runtime observer calls it on every plugin hook call): with no handler it
   * costs one map lookup, and synchronous handlers run before it returns, allocating nothing.
   */
  notify<K extends PlughubEventName>(event: K, payload: PlughubEvents[K]): void {
    const list = this.handlers.get(event);
    if (list) void this.run(event, payload, list, 0);
  }

  /** Runs handlers from `from` on, synchronously until one returns a promise; then continues after it settles. */
  private run(event: PlughubEventName, payload: unknown, list: Registered[], from: number): void | Promise<void> {
    for (let i = from; i < list.length; i++) {
      const entry = list[i];
      let result: unknown;
      try {
        result = entry.handler(payload as never);
      } catch (err) {
        this.failed(event, entry, err);
        continue;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => this.run(event, payload, list, i + 1),
          (err: unknown) => {
            this.failed(event, entry, err);
            return this.run(event, payload, list, i + 1);
          },
        );
      }
    }
  }

  private failed(event: PlughubEventName, entry: Registered, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.logger.error('Event handler failed', { event, handler: entry.name, error: error.message, stack: error.stack });
  }
}
