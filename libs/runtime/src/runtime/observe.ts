import type { RuntimeObserver } from '../runtime.types.js';

type ObserverEvent<K extends keyof RuntimeObserver> = Parameters<NonNullable<RuntimeObserver[K]>>[0];

/** Hands `event` to the observer's `key` handler, if there is one: an observer bug must not break plugin calls. */
export function observe<K extends keyof RuntimeObserver>(
  observer: RuntimeObserver | undefined,
  key: K,
  event: ObserverEvent<K>,
): void {
  const handler = observer?.[key] as ((this: RuntimeObserver, event: ObserverEvent<K>) => void) | undefined;
  if (!handler) return;
  try {
    handler.call(observer!, event);
  } catch {
    // Ignored on purpose (see above).
  }
}
