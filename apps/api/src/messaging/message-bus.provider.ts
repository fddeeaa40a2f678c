import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import type { MessagingConfig } from '../config/app-config.js';
import { MESSAGING_CONFIG } from '../config/config.module.js';
import { createMessageBus, type MessageBus } from './bus/index.js';

/** The node's one MessageBus (bus/README.md): in-process, or NATS when NATS_URL is set. Inject with this token. */
export const MESSAGE_BUS = Symbol('MESSAGE_BUS');

export const messageBusProvider: Provider = {
  provide: MESSAGE_BUS,
  inject: [MESSAGING_CONFIG, JsonLogger],
  useFactory: async (config: MessagingConfig, logger: JsonLogger): Promise<MessageBus> => {
    const log = logger.child('MessageBus');
    const bus = await createMessageBus({
      natsUrl: config.natsUrl,
      name: config.nodeName,
      onListenerError: (error, channel) =>
        log.error('A bus listener failed', { channel, error: error instanceof Error ? error.message : String(error) }),
    });
    log.info('Message bus ready', { ...bus.status(), since: undefined });
    return bus;
  },
};

/** Closes the bus when the application shuts down (after the modules stopped serving and listening on it). */
@Injectable()
export class MessageBusShutdown implements OnApplicationShutdown {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}
