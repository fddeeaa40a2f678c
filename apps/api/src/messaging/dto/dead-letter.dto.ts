import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_STATUSES, type DeadLetter, type DeliveryStatus } from '../messaging.entity.js';
import { EventResponseDto } from './event.dto.js';
import { ReadOnlyField, ReadOnlyNullableDate, ReadOnlyNullableString } from '@app/common';

export class DeadLetterResponseDto {
  /** The delivery's id, to replay it. */
  @ReadOnlyField('6750a1b2c3d4e5f601234567')
  id: string;
  /** `dead` while it waits for a replay; `pending` once replayed, `delivered` once a replay got through. */
  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'EventDeliveryStatus', readOnly: true })
  status: DeliveryStatus;
  /** The installation that did not take the event. */
  @ReadOnlyField()
  subscriber_installation_id: string;
  /** Its plugin. */
  @ReadOnlyField('acme.audit-sink')
  subscriber_plugin: string;
  /** Attempts made (before a replay: all of them). */
  @ApiProperty({ type: 'integer', readOnly: true, minimum: 0 })
  attempts: number;
  /** What the last attempt failed with. */
  @ReadOnlyNullableString()
  last_error: string | null;
  /** When it became a dead letter, or null once replayed. */
  @ReadOnlyNullableDate()
  dead_at: string | null;
  /** How many times it was replayed. */
  @ApiProperty({ type: 'integer', readOnly: true, minimum: 0 })
  replays: number;
  /** The event, or null when it is no longer stored. */
  @ApiProperty({ type: EventResponseDto, nullable: true, readOnly: true })
  event: EventResponseDto | null;

  static from(letter: DeadLetter): DeadLetterResponseDto {
    const d = letter.delivery;
    return {
      id: d.id,
      status: d.status,
      subscriber_installation_id: d.subscriberId,
      subscriber_plugin: d.subscriberKey,
      attempts: d.attempts,
      last_error: d.lastError,
      dead_at: d.deadAt?.toISOString() ?? null,
      replays: d.replays,
      event: letter.event ? EventResponseDto.from(letter.event) : null,
    };
  }
}
