import { namedError, notFound } from '@app/common';

export class NotDeadLetterError extends namedError(
  'CONFLICT',
  'not_dead_letter',
  'the delivery is no longer a dead letter (replayed already, or delivered since)',
) {
  constructor(id: string) {
    super('This delivery is not a dead letter any more.', { id });
  }
}

export class InvalidLastEventIdError extends namedError(
  'VALIDATION_ERROR',
  'invalid_last_event_id',
  'Last-Event-ID is not an event sequence number',
) {
  constructor() {
    super('Last-Event-ID must be the id of an event of this stream.', {}, [
      { field: 'Last-Event-ID', message: 'must be a non-negative integer' },
    ]);
  }
}

export const deadLetterNotFound = () => notFound('Dead letter');
