import { describe, expect, it } from 'vitest';
import { JsonLogger, type LogLevel, LogOutput } from './json-logger.js';

function capture(level: LogLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = new JsonLogger(
    new LogOutput(level, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    'App',
  );
  return { lines, logger };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with level, context and extra fields', () => {
    const { lines, logger } = capture();
    logger.child('Test').warn('disk low', { free_mb: 12, request_id: 'r-1' });
    const [{ time, ...rest }] = lines;
    expect([Number.isNaN(Date.parse(String(time))), rest]).toEqual([
      false,
      { level: 'warn', context: 'Test', msg: 'disk low', free_mb: 12, request_id: 'r-1' },
    ]);
  });

  it('drops entries below the level of its output', () => {
    const { lines, logger } = capture('warn');
    logger.info('hidden');
    logger.error('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });

  it('demotes Nest boot chatter to debug', () => {
    const { lines, logger } = capture('info');
    logger.log('Mapped {/api/x, GET} route', 'RouterExplorer');
    logger.log('shown', 'Bootstrap');
    expect(lines.map((l) => [l.msg, l.context])).toEqual([['shown', 'Bootstrap']]);
  });

  it('keeps Nest boot chatter at debug level', () => {
    const { lines, logger } = capture('debug');
    logger.log('Mapped {/api/x, GET} route', 'RouterExplorer');
    expect(lines).toMatchObject([{ level: 'debug', context: 'RouterExplorer' }]);
  });

  it('keeps a Nest error stack as a field', () => {
    const { lines, logger } = capture();
    logger.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ level: 'error', context: 'ExceptionsHandler', stack: 'Error: boom\n    at x' });
  });

  it('gives two outputs independent levels and sinks', () => {
    const a = capture('debug');
    const b = capture('error');
    a.logger.debug('only a');
    b.logger.debug('not b');
    expect([a.lines.length, b.lines.length]).toEqual([1, 0]);
  });
});
