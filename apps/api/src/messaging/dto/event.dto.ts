import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  anyJsonValue,
  ApiExample,
  OptionalDateTimeField,
  PaginationQueryDto,
  PatternField,
  ReadOnlyDate,
  wireFields,
} from '@app/common';
import { PLUGIN_KEY_PATTERN } from '@app/plugin-sdk';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { StoredEvent } from '../messaging.entity.js';

/** An event type (`plugin.installed`) or a subscription pattern (`plugin.*`, `*`). */
export const EVENT_TYPE_FILTER_PATTERN = '^(\\*|[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)*(\\.\\*)?)$';
/** A plugin key, or `system` for the platform's own events. */
export const EVENT_SOURCE_PATTERN = `^(system|${PLUGIN_KEY_PATTERN.slice(1, -1)})$`;

/** `type`: an event type, or a pattern of them. */
const EventTypeFilterField = () =>
  PatternField({
    pattern: EVENT_TYPE_FILTER_PATTERN,
    maxLength: 200,
    message: 'must be an event type or a pattern like plugin.*',
    example: 'plugin.*',
    optional: true,
  });

export class EventStreamQueryDto {
  /** Only events of this type, or matching this pattern (`plugin.*`; `*` is every type). */
  @EventTypeFilterField()
  type?: string;
}

export class EventListQueryDto extends PaginationQueryDto {
  /** Only events of this type, or matching this pattern (`plugin.*`; `*` is every type). */
  @EventTypeFilterField()
  type?: string;

  /** Only events emitted by this plugin (its key), or `system` for the platform's own events. */
  @ApiPropertyOptional({ pattern: EVENT_SOURCE_PATTERN, maxLength: 100, example: 'acme.orders' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(new RegExp(EVENT_SOURCE_PATTERN), { message: 'must be a plugin key or system' })
  source?: string;

  /** Only events at or after this instant (ISO 8601). */
  @OptionalDateTimeField('2026-12-01T00:00:00Z')
  since?: string;

  /** Only events at or before this instant (ISO 8601). */
  @OptionalDateTimeField('2026-12-31T23:59:59Z')
  until?: string;
}

export const EVENT_SOURCE_KINDS = ['plugin', 'system'] as const;

export class EventSourceDto {
  /** `plugin`: a plugin emitted it; `system`: the platform did (installs, activations, configuration, …). */
  @ApiProperty({ enum: EVENT_SOURCE_KINDS, enumName: 'EventSourceKind' })
  kind: 'plugin' | 'system';
  /** The plugin the event is about or comes from, or null for a platform event about no plugin. */
  @ApiProperty({ type: String, nullable: true, example: 'acme.orders' })
  plugin: string | null;
  /** The installation it is about or comes from, or null. */
  @ApiProperty({ type: String, nullable: true, example: '6750a1b2c3d4e5f601234567' })
  installation_id: string | null;
}

export class EventResponseDto {
  /** Unique id (UUID); subscribers receive it as `event.id` and de-duplicate by it. */
  @ApiProperty({ readOnly: true, format: 'uuid' })
  id: string;
  /** Position in the order of all events; the SSE `id`, and what `Last-Event-ID` resumes after. */
  @ApiProperty({ type: 'integer', readOnly: true, minimum: 1, example: 42 })
  sequence: number;
  /** The event type, e.g. `plugin.installed` or a type a plugin declares in `events.emits`. */
  @ApiExample('plugin.installed')
  type: string;
  /** Who emitted it. */
  source: EventSourceDto;
  /** The event's payload (any JSON value). */
  @ApiProperty({
    ...anyJsonValue(),
    example: { plugin_key: 'acme.orders', version: '1.2.0' },
  })
  data: unknown;
  /** When it happened. */
  @ReadOnlyDate()
  at: string;

  static from(event: StoredEvent): EventResponseDto {
    const source = { ...wireFields(event.source, 'kind', 'installationId'), plugin: event.source.pluginKey };
    return { ...wireFields(event, 'id', 'sequence', 'type', 'data', 'at'), source };
  }
}
