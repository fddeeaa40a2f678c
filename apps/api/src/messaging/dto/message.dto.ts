import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { anyJsonValue, ApiExample, BodyExamples, BodyInt, OrgRefField } from '@app/common';
import { PLUGIN_KEY_PATTERN } from '@app/plugin-sdk';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';

/** A message type: what the target's onMessage sees as `message.type`. */
export const MESSAGE_TYPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]*$';
const CATEGORY_PATTERN = '^[a-z0-9][a-z0-9-]*$';

export const MESSAGE_TIMEOUT = { min: 1, max: 60, default: 10 } as const;

/** POST /api/plugins/{plugin}/message/. */
@BodyExamples({
  request: {
    summary: 'Ask another plugin for data',
    value: {
      target_plugin: 'acme.analytics',
      message_type: 'data_request',
      data: { query: 'user_activity' },
      timeout_seconds: 10,
    },
  },
})
export class SendMessageDto {
  /** The plugin to deliver to: its installation in your effective set (yours, your organisations', the global one). */
  @ApiProperty({ pattern: PLUGIN_KEY_PATTERN, maxLength: 100, example: 'acme.analytics' })
  @IsString()
  @MaxLength(100)
  @Matches(new RegExp(PLUGIN_KEY_PATTERN), { message: 'must be a plugin key (publisher.name)' })
  target_plugin: string;

  /** What the target's onMessage receives as `message.type`. */
  @ApiProperty({ pattern: MESSAGE_TYPE_PATTERN, maxLength: 100, example: 'data_request' })
  @IsString()
  @MaxLength(100)
  @Matches(new RegExp(MESSAGE_TYPE_PATTERN), { message: 'must be letters, digits and _ . : -' })
  message_type: string;

  /** What the target's onMessage receives as `message.data`; omitted, it receives null. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { query: 'user_activity' } })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  /** How long to wait for the answer, in seconds (1 to 60, default 10). */
  @BodyInt({ min: MESSAGE_TIMEOUT.min, max: MESSAGE_TIMEOUT.max, optional: true })
  timeout_seconds?: number;
}

export const MESSAGE_STATUSES = ['success', 'error'] as const;

export class PluginFailureDto {
  /** The error code the plugin's failure carries (`PLUGIN_ERROR` when it threw without one). */
  @ApiExample('PLUGIN_ERROR')
  code: string;
  /** The plugin's own error message. */
  @ApiExample('no data for that range')
  message: string;
}

export class MessageReplyDto {
  /** `success`: onMessage answered; `error`: it threw (the message was delivered; the plugin failed). */
  @ApiProperty({ enum: MESSAGE_STATUSES, enumName: 'MessageReplyStatus' })
  status: (typeof MESSAGE_STATUSES)[number];
  /** What onMessage answered (any JSON value; null when it answered nothing, or failed). */
  @ApiProperty({
    ...anyJsonValue(),
    example: { total_sessions: 45 },
  })
  data: unknown;
  /** The plugin's failure when `status` is `error`, else null. */
  @ApiProperty({ type: PluginFailureDto, nullable: true })
  error: PluginFailureDto | null;
}

export class MessageResultDto {
  /** The message's id (the target sees it as `message.id`). */
  @ApiProperty({ format: 'uuid' })
  message_id: string;
  /** The target's answer. */
  response: MessageReplyDto;
  /** From sending to the answer, in milliseconds. */
  @ApiProperty({ type: 'integer', minimum: 0, example: 150 })
  response_time_ms: number;
}

/** POST /api/plugins/broadcast/. */
@BodyExamples({
  announcement: {
    summary: 'Tell monitoring plugins about maintenance',
    value: {
      message_type: 'system_announcement',
      data: { announcement: 'Maintenance at 22:00' },
      target_categories: ['monitoring'],
      timeout_seconds: 5,
    },
  },
})
export class BroadcastDto {
  /** What each onMessage receives as `message.type`. */
  @ApiProperty({ pattern: MESSAGE_TYPE_PATTERN, maxLength: 100, example: 'system_announcement' })
  @IsString()
  @MaxLength(100)
  @Matches(new RegExp(MESSAGE_TYPE_PATTERN), { message: 'must be letters, digits and _ . : -' })
  message_type: string;

  /** What each onMessage receives as `message.data`; omitted, null. */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { announcement: 'Maintenance at 22:00' },
  })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  /** Only plugins of these categories (their manifest's `category`); omitted, every category. */
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: CATEGORY_PATTERN, maxLength: 50 },
    maxItems: 50,
    uniqueItems: true,
    example: ['monitoring', 'notifications'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  @Matches(new RegExp(CATEGORY_PATTERN), { each: true, message: 'must be lower-case letters, digits and dashes' })
  target_categories?: string[];

  /** Plugins (keys) not to send to. */
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: PLUGIN_KEY_PATTERN, maxLength: 100 },
    maxItems: 100,
    uniqueItems: true,
    example: ['acme.analytics'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @Matches(new RegExp(PLUGIN_KEY_PATTERN), { each: true, message: 'must be plugin keys (publisher.name)' })
  exclude_plugins?: string[];

  /** How long each plugin has to answer, in seconds (1 to 60, default 10); they are sent to side by side. */
  @BodyInt({ min: MESSAGE_TIMEOUT.min, max: MESSAGE_TIMEOUT.max, optional: true })
  timeout_seconds?: number;
}

export const BROADCAST_FAILURES = ['timeout', 'error', 'not_running', 'unavailable'] as const;
export type BroadcastFailureReason = (typeof BROADCAST_FAILURES)[number];

export class BroadcastFailureDto {
  /** The plugin that did not take the message. */
  @ApiExample('acme.analytics')
  plugin: string;
  /** Its installation. */
  @ApiExample('6750a1b2c3d4e5f601234567')
  installation_id: string;
  /**
   * `timeout`: no answer in time; `error`: its onMessage threw; `not_running`: no node runs it right now;
   * `unavailable`: the message bus could not carry it.
   */
  @ApiProperty({ enum: BROADCAST_FAILURES, enumName: 'BroadcastFailureReason' })
  reason: BroadcastFailureReason;
}

export class BroadcastResultDto {
  /** The broadcast's id (each recipient sees it as `message.id`). */
  @ApiProperty({ format: 'uuid' })
  message_id: string;
  /** The plugins whose onMessage answered, once per installation reached, sorted. */
  @ApiProperty({ type: [String], example: ['acme.monitor', 'acme.notifier'] })
  delivered: string[];
  /** The installations that did not answer, and why. */
  @ApiProperty({ type: [BroadcastFailureDto] })
  failed: BroadcastFailureDto[];
}

/** POST /api/plugins/broadcast/: whose installations. */
export class BroadcastQueryDto {
  /** Only this organisation's installations (slug or id; you must be one of its admins); omitted, every one (platform admins). */
  @OrgRefField()
  org?: string;
}
