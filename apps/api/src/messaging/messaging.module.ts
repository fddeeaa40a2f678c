import { Module } from '@nestjs/common';
import { AccessModule } from '../auth/access.module.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { MESSAGE_ROUTER } from '../runtime/runtime.ports.js';
import { BusMessageRouter } from './bus-message-router.js';
import { DeadLettersService } from './dead-letters.service.js';
import { EventDispatcher } from './event-dispatcher.js';
import { EventForwarder } from './event-forwarder.js';
import { EventsController } from './events.controller.js';
import { EventsService } from './events.service.js';
import { InstallationHosting } from './installation-hosting.js';
import { MESSAGE_BUS, MessageBusShutdown, messageBusProvider } from './message-bus.provider.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';
import { MessagingPersistenceModule } from './persistence/messaging-persistence.module.js';

/**
 * Messaging: the node's MessageBus (bus/, in-process unless NATS_URL), the event store and its stream, system
 * events forwarded from the EventBus, at-least-once delivery to subscribing plugins with dead letters, and
 * plugin-to-plugin messages and broadcast through the API.
 */
@Module({
  imports: [MessagingPersistenceModule, AccessModule, RuntimeModule],
  controllers: [EventsController, MessagesController],
  providers: [
    messageBusProvider,
    MessageBusShutdown,
    EventsService,
    EventForwarder,
    EventDispatcher,
    DeadLettersService,
    InstallationHosting,
    BusMessageRouter,
    MessagesService,
    // Found by the runtime's bridge when a plugin first sends or emits (runtime-bridge.ts).
    { provide: MESSAGE_ROUTER, useExisting: BusMessageRouter },
  ],
  exports: [MESSAGE_BUS, EventsService, BusMessageRouter, InstallationHosting],
})
export class MessagingModule {}
