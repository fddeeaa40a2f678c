import { Inject, Injectable } from '@nestjs/common';
import { Clock, type PageWindow, type Slice } from '@app/common';
import { DeadLetterResponseDto } from './dto/dead-letter.dto.js';
import { EventsService } from './events.service.js';
import { deadLetterNotFound, NotDeadLetterError } from './messaging.errors.js';
import { EventDeliveryRepository } from './persistence/event-delivery.repository.js';
import { EventRepository } from './persistence/event.repository.js';

/** Dead letters: deliveries that failed every attempt, listed and replayed by platform admins. */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly deliveries: EventDeliveryRepository,
    private readonly events: EventRepository,
    private readonly pipeline: EventsService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async list(window: PageWindow): Promise<Slice<DeadLetterResponseDto>> {
    const slice = await this.deliveries.deadLetters(window);
    const events = new Map(
      (await this.events.findByIds([...new Set(slice.items.map((d) => d.eventId))])).map((e) => [e.id, e]),
    );
    return {
      count: slice.count,
      items: slice.items.map((d) => DeadLetterResponseDto.from({ delivery: d, event: events.get(d.eventId) ?? null })),
    };
  }

  async replay(id: string): Promise<DeadLetterResponseDto> {
    const replayed = await this.deliveries.replay(id, this.clock.now());
    if (!replayed) {
      if (await this.deliveries.findById(id)) throw new NotDeadLetterError(id);
      throw deadLetterNotFound();
    }
    this.pipeline.queued.wake();
    const [event] = await this.events.findByIds([replayed.eventId]);
    return DeadLetterResponseDto.from({ delivery: replayed, event: event ?? null });
  }
}
