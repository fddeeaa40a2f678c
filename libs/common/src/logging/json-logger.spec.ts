import { afterEach, describe, expect, it } from 'vitest';
import { JsonLogger } from './json-logger.js';

describe('JsonLogger', () => {
  const lines: Record<string, unknown>[] = [];
  JsonLogger.setSink((line) => lines.push(JSON.parse(line)));
  afterEach(() => {
    lines.length = 0;
    JsonLogger.setLevel('info');
  });

  it('writes one JSON object per line with level, context and extra fields', () => {
    new JsonLogger('Test').warn('disk low', { free_mb: 12, request_id: 'r-1' });
    expect(lines).toEqual([
      { time: expect.any(String), level: 'warn', context: 'Test', msg: 'disk low', free_mb: 12, request_id: 'r-1' },
    ]);
  });

  it('filters below the level and demotes Nest boot chatter to debug', () => {
    const logger = new JsonLogger('App');
    logger.debug('hidden');
    logger.log('Mapped {/api/x, GET} route', 'RouterExplorer');
    logger.log('shown', 'Bootstrap');
    expect(lines.map((l) => [l.msg, l.context])).toEqual([['shown', 'Bootstrap']]);
    JsonLogger.setLevel('debug');
    logger.log('Mapped {/api/x, GET} route', 'RouterExplorer');
    expect(lines.at(-1)).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
  });

  it('keeps a Nest error stack as a field', () => {
    new JsonLogger().error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ level: 'error', context: 'ExceptionsHandler', stack: 'Error: boom\n    at x' });
  });
});
