import 'reflect-metadata';
import type { EventHandlerOptions } from './event-bus.js';
import type { PlughubEventName, PlughubEvents } from './plughub-events.js';

export const EVENT_HANDLER_METADATA = 'plughub:event-handlers';

export interface EventHandlerMetadata {
  event: PlughubEventName;
  priority: number;
}

/**
 * Marks a provider method as a handler of `event`; CommonModule registers it on the EventBus at boot (before any
 * `onApplicationBootstrap`, so emit from there or later). The method receives the payload type of the event:
 *
 *   @OnPlughubEvent('plugin.published') onPublished(e: PlughubEvents['plugin.published']) { … }
 *
 * Stack the decorator to handle several events with one method. Only singleton providers are discovered.
 */
export function OnPlughubEvent<K extends PlughubEventName>(
  event: K,
  options: Pick<EventHandlerOptions, 'priority'> = {},
) {
  return <T extends (payload: PlughubEvents[K]) => unknown>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void => {
    const method = descriptor.value as object;
    const existing = (Reflect.getMetadata(EVENT_HANDLER_METADATA, method) as EventHandlerMetadata[] | undefined) ?? [];
    Reflect.defineMetadata(EVENT_HANDLER_METADATA, [...existing, { event, priority: options.priority ?? 0 }], method);
  };
}
