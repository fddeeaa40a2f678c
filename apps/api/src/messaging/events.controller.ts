import { Get, Headers, HttpCode, Post, Query, Sse, SseSignal, type MessageEvent } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiResponse } from '@nestjs/swagger';
import { ApiController, Authenticated, CurrentUser, Endpoint, ObjectIdParam, PaginatedList } from '@app/common';
import { PaginationQueryDto, Paging } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import type { Observable } from 'rxjs';
import { DeadLetterResponseDto } from './dto/dead-letter.dto.js';
import { EventListQueryDto, EventResponseDto, EventStreamQueryDto } from './dto/event.dto.js';
import { DeadLettersService } from './dead-letters.service.js';
import { EventsService } from './events.service.js';
import { InvalidLastEventIdError, NotDeadLetterError, TooManyStreamsError } from './messaging.errors.js';

@ApiController('messaging', 'events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly deadLetters: DeadLettersService,
  ) {}

  @Get()
  @Endpoint({
    summary: 'List events',
    description:
      'Stored events, newest first: the platform’s (plugin.installed, plugin.activated, plugin.disabled, ' +
      'plugin.updated, plugin.uninstalled, config.changed, plugin.killed) and those plugins emit. Only events of ' +
      'installations you may see (your own, your organisations’, the global ones; all of them for platform ' +
      'admins). Filter by `type` (exact, or a pattern such as `plugin.*`), `source` (a plugin key, or `system`) ' +
      'and a `since`/`until` time range.',
  })
  @PaginatedList(EventResponseDto)
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: EventListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<EventResponseDto>> {
    return this.events.list(caller, query, window);
  }

  @Sse('stream')
  @Endpoint({
    summary: 'Stream events (Server-Sent Events)',
    description:
      'A `text/event-stream` of the events you may see as they are stored, optionally only those matching ' +
      '`type`. Each message has `id:` the event’s `sequence` and `data:` the event as JSON (as in the list). ' +
      'Send `Last-Event-ID` (EventSource does on reconnect) to receive first every event after that one, so a ' +
      'reconnecting client misses nothing; without it the stream starts with the next event. A comment line ' +
      '(`: keep-alive`) is sent when the stream has been idle for a while, so proxies keep the connection open. ' +
      'One user holds at most a configured number of open streams per API node (16 unless ' +
      '`PLUGHUB_MAX_EVENT_STREAMS_PER_USER` says otherwise); one more is 429 RATE_LIMITED until one closes.',
    errors: [InvalidLastEventIdError, TooManyStreamsError],
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The `sequence` of the last event received: the stream resumes after it.',
    schema: { type: 'string', pattern: '^\\d{1,15}$', example: '42' },
  })
  @ApiProduces('text/event-stream')
  @ApiResponse({
    status: 200,
    description: 'The event stream: `id: <sequence>` and `data: <event JSON>` per event, `: keep-alive` comments.',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 42\ndata: {"id":"…"}\n\n' } } },
  })
  stream(
    @CurrentUser() caller: AuthUser,
    @Query() query: EventStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @SseSignal() signal: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    return this.events.stream(caller, query, lastEventId, signal);
  }

  @Get('dead-letters')
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'List dead letters',
    description:
      'Event deliveries that failed every attempt (onEvent threw, timed out or the subscriber could not take ' +
      'it), most recent first, with the event and the last error. Platform admins only.',
  })
  @PaginatedList(DeadLetterResponseDto)
  listDeadLetters(
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<DeadLetterResponseDto>> {
    return this.deadLetters.list(window);
  }

  @Post('dead-letters/:id/replay')
  @HttpCode(200)
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'Replay a dead letter',
    description:
      'Queues the delivery again with fresh attempts; the subscriber receives the same event (same id) through ' +
      'onEvent. Answers the delivery, now `pending`. Platform admins only.',
    errors: [NotDeadLetterError],
  })
  replay(@ObjectIdParam('id', 'dead letter') id: string): Promise<DeadLetterResponseDto> {
    return this.deadLetters.replay(id);
  }
}
