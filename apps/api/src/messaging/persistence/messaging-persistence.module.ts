import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { EventDeliveryRepository } from './event-delivery.repository.js';
import { EventDeliveryDoc, EventDeliverySchema } from './event-delivery.schema.js';
import { EventRepository } from './event.repository.js';
import { EventDoc, EventSchema, EventSequenceDoc, EventSequenceSchema } from './event.schema.js';
import { LeaseRepository } from './lease.repository.js';
import { LeaseDoc, LeaseSchema } from './lease.schema.js';

/** The events collection (with its sequence counter), the event deliveries and the installation leases. */
@Module(
  persistenceModule({
    models: [
      [EventDoc, EventSchema],
      [EventSequenceDoc, EventSequenceSchema],
      [EventDeliveryDoc, EventDeliverySchema],
      [LeaseDoc, LeaseSchema],
    ],
    repositories: [EventRepository, EventDeliveryRepository, LeaseRepository],
  }),
)
export class MessagingPersistenceModule {}
