import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { EventDeliveryRepository } from './event-delivery.repository.js';
import { EventDeliveryDoc, EventDeliverySchema } from './event-delivery.schema.js';
import { EventRepository } from './event.repository.js';
import { EventDoc, EventSchema, EventSequenceDoc, EventSequenceSchema } from './event.schema.js';
import { LeaseRepository } from './lease.repository.js';
import { LeaseDoc, LeaseSchema } from './lease.schema.js';

/** The events collection (with its sequence counter), the event deliveries and the installation leases. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: EventDoc.name, schema: EventSchema },
      { name: EventSequenceDoc.name, schema: EventSequenceSchema },
      { name: EventDeliveryDoc.name, schema: EventDeliverySchema },
      { name: LeaseDoc.name, schema: LeaseSchema },
    ]),
  ],
  providers: [EventRepository, EventDeliveryRepository, LeaseRepository],
  exports: [EventRepository, EventDeliveryRepository, LeaseRepository],
})
export class MessagingPersistenceModule {}
