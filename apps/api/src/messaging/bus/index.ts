import type { BusAdapterOptions } from './bus-adapter.js';
import { InProcessMessageBus } from './in-process-message-bus.js';
import type { MessageBus } from './message-bus.js';
import { NatsMessageBus } from './nats-message-bus.js';

export * from './message-bus.js';
export { DEFAULT_SUBJECT_PREFIX } from './bus-subjects.js';
export type { ListenerErrorReporter } from './bus-serving.js';
export { InProcessBroker, InProcessMessageBus, type InProcessMessageBusOptions } from './in-process-message-bus.js';
export { NatsMessageBus, type NatsMessageBusOptions } from './nats-message-bus.js';

export interface MessageBusOptions extends BusAdapterOptions {
  /** NATS_URL: set, the bus is NATS; unset, it is in-process (one node). */
  natsUrl?: string | null;
  /** The NATS connection's name in the server's monitoring. */
  name?: string;
}

/** The bus the configuration asks for. */
export async function createMessageBus(options: MessageBusOptions = {}): Promise<MessageBus> {
  const { natsUrl, name, ...common } = options;
  if (natsUrl) return NatsMessageBus.connect({ servers: natsUrl, name, ...common });
  return new InProcessMessageBus(common);
}
