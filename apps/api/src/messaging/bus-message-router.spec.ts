import { describe, expect, it } from 'vitest';
import { BusError, type BusErrorCode } from './bus/index.js';
import { toRuntimeError } from './bus-message-router.js';

describe('toRuntimeError', () => {
  it.each<[BusErrorCode, string | undefined, string, string | undefined]>([
    ['timeout', undefined, 'PLUGIN_TIMEOUT', 'no_answer'],
    ['remote_error', 'PLUGIN_TIMEOUT', 'PLUGIN_TIMEOUT', undefined], // stopped by its own limits.timeout_ms
    ['no_responder', undefined, 'PLUGIN_NOT_LOADED', 'not_running'],
    ['remote_error', 'PLUGIN_MEMORY_LIMIT', 'PLUGIN_MEMORY_LIMIT', undefined],
    ['remote_error', 'SOMETHING_ELSE', 'PLUGIN_ERROR', undefined],
    ['payload_too_large', undefined, 'LIMIT_EXCEEDED', 'payload_too_large'],
    ['invalid_argument', undefined, 'INVALID_ARGUMENT', undefined],
    ['disconnected', undefined, 'PLUGIN_UNREACHABLE', 'disconnected'],
    ['closed', undefined, 'PLUGIN_UNREACHABLE', 'closed'],
  ])('maps %s (remote code %s) to %s', (code, remoteCode, expected, reason) => {
    const error = toRuntimeError(new BusError(code, 'x', { remoteCode }), 'acme.x', 1000);
    expect([error.code, error.details.reason]).toEqual([expected, reason]);
  });
});
