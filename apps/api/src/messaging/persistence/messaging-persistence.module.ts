import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { EventDeliveryRepository } from './event-delivery.repository.js';
import { EventDeliveryDoc, EventDeliverySchema } from './event-delivery.schema.js';
import { EventRepository } from './event.repository.js';
import { EventDoc, EventSchema, EventSequenceDoc, EventSequenceSchema } from './event.schema.js';

/** The events collection (with its sequence counter) and the event deliveries. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: EventDoc.name, schema: EventSchema },
      { name: EventSequenceDoc.name, schema: EventSequenceSchema },
      { name: EventDeliveryDoc.name, schema: EventDeliverySchema },
    ]),
  ],
  providers: [EventRepository, EventDeliveryRepository],
  exports: [EventRepository, EventDeliveryRepository],
})
export class MessagingPersistenceModule {}
