import { PluginRuntime, type HookCallEvent, type PluginLogEvent, redactSecrets } from '@app/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { loadConfig } from '../config/app-config.js';
import type { PluginLogLine } from './metrics.entity.js';
import { PluginLogRepository } from './persistence/plugin-log.repository.js';
import { PluginLogRecorder, TRUNCATION_MARK } from './plugin-log.recorder.js';

const SECRET = 'sk-live-0123456789';

function log(message: string, fields?: Record<string, unknown>): PluginLogEvent {
  return {
    installationId: 'i1',
    pluginKey: 'acme.p',
    level: 'info',
    message,
    fields,
    source: 'plugin',
    at: new Date(),
  };
}

describe('PluginLogRecorder', () => {
  let repo: ReturnType<typeof strictMock<PluginLogRepository>>;
  let clock: TestClock;
  let recorder: PluginLogRecorder;
  let stored: PluginLogLine[];

  beforeEach(() => {
    repo = strictMock(PluginLogRepository);
    stored = [];
    repo.append.mockImplementation((lines: PluginLogLine[]) => {
      stored.push(...lines);
      return Promise.resolve();
    });
    const runtime = strictMock(PluginRuntime);
    runtime.redact.mockImplementation((id: string, text: string) =>
      redactSecrets(text, id === 'i1' ? { api_key: SECRET } : {}),
    );
    clock = new TestClock();
    const config = { ...loadConfig({}).metrics, logLinesPerMinute: 3, logLineChars: 100 };
    recorder = new PluginLogRecorder(runtime, repo, config, clock);
  });

  it('stores what the plugin wrote, with its level, fields and source', async () => {
    recorder.onLog({ ...log('order 7 shipped', { order: 7 }), level: 'warn' });
    await recorder.flush();
    expect(stored).toEqual([
      expect.objectContaining({
        installationId: 'i1',
        level: 'warn',
        message: 'order 7 shipped',
        fields: { order: 7 },
        source: 'plugin',
        truncated: false,
      }),
    ]);
  });

  it('keeps the request a line and a failed call were made for, and none when there was none', async () => {
    recorder.onLog({ ...log('under a request'), requestId: 'req-1' });
    recorder.onLog(log('background'));
    const failed: HookCallEvent = {
      installationId: 'i1',
      pluginKey: 'acme.p',
      version: '1.0.0',
      hook: 'onProcess',
      outcome: 'error',
      durationMs: 3,
      error: { code: 'PLUGIN_ERROR', message: 'boom' },
      requestId: 'req-2',
      at: new Date(),
    };
    recorder.onCall(failed);
    await recorder.flush();
    expect(stored.map((l) => [l.source, l.requestId])).toEqual([
      ['plugin', 'req-1'],
      ['plugin', undefined],
      ['runtime', 'req-2'],
    ]);
    expect(stored[1]).not.toHaveProperty('requestId');
  });

  it('never stores a secret setting value, in the message, the fields or their keys', async () => {
    recorder.onLog(log(`calling with key=${SECRET}`, { nested: [{ auth: `Bearer ${SECRET}` }], [SECRET]: 1 }));
    await recorder.flush();
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(stored[0].message).toBe('calling with key=[redacted]');
  });

  it('redacts before cutting, so no start of a secret survives the cut', async () => {
    recorder.onLog(log(`${'x'.repeat(95)}${SECRET}`));
    await recorder.flush();
    expect(stored[0].message).not.toContain('sk-');
    expect(stored[0].truncated).toBe(true);
  });

  it('cuts long messages and fields to the limit and marks the line', async () => {
    recorder.onLog(log('y'.repeat(250), { blob: 'z'.repeat(500) }));
    await recorder.flush();
    expect(stored[0].message).toBe('y'.repeat(100) + TRUNCATION_MARK);
    expect(stored[0].truncated).toBe(true);
    expect(String(stored[0].fields?.truncated_json)).toHaveLength(100 + TRUNCATION_MARK.length);
  });

  it('stores the rate limit per minute and reports the excess as one line once the minute is over', async () => {
    for (let i = 0; i < 7; i++) recorder.onLog(log(`line ${i}`));
    await recorder.flush();
    expect(stored.map((l) => l.message)).toEqual(['line 0', 'line 1', 'line 2']);

    clock.advance(60_000);
    await recorder.flush();
    expect(stored).toHaveLength(4);
    expect(stored[3]).toMatchObject({ level: 'warn', source: 'runtime', fields: { dropped: 4, limit_per_minute: 3 } });

    recorder.onLog(log('next minute'));
    await recorder.flush();
    expect(stored[4].message).toBe('next minute');
  });

  it('limits each installation on its own', async () => {
    for (let i = 0; i < 5; i++) recorder.onLog(log(`a ${i}`));
    for (let i = 0; i < 2; i++) recorder.onLog({ ...log(`b ${i}`), installationId: 'i2' });
    await recorder.flush();
    expect(stored.filter((l) => l.installationId === 'i2')).toHaveLength(2);
  });

  it('writes a runtime error line for each failed call, and none for calls that succeeded', async () => {
    const call: HookCallEvent = {
      installationId: 'i1',
      pluginKey: 'acme.p',
      version: '1.0.0',
      hook: 'onMessage',
      outcome: 'error',
      durationMs: 12,
      error: { code: 'PLUGIN_ERROR', message: `bad key ${SECRET}` },
      at: new Date(),
    };
    recorder.onCall(call);
    recorder.onCall({ ...call, outcome: 'ok', error: undefined });
    await recorder.flush();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      level: 'error',
      source: 'runtime',
      message: 'onMessage failed (error): bad key [redacted]',
      fields: { hook: 'onMessage', outcome: 'error', code: 'PLUGIN_ERROR', duration_ms: 12 },
    });
  });

  it('does not write when nothing was recorded', async () => {
    await recorder.flush();
    expect(repo.append).not.toHaveBeenCalled();
  });
});
