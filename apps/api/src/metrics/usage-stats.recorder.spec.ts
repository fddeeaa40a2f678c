import { type HookCallEvent, PluginRuntime, redactSecrets } from '@app/runtime';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { strictMock } from '../../../../test/support/strict-mock.js';
import type { UsageDelta } from './metrics.entity.js';
import type { InstallationUsageSink } from './metrics.ports.js';
import { UsageStatsRecorder } from './usage-stats.recorder.js';

const SECRET = 'pw-9876543210';
const T0 = Date.UTC(2026, 11, 1, 9, 30);

function call(extra: Partial<HookCallEvent> = {}): HookCallEvent {
  return {
    installationId: 'i1',
    pluginKey: 'acme.p',
    version: '1.0.0',
    hook: 'onMessage',
    outcome: 'ok',
    durationMs: 10,
    at: new Date(T0),
    ...extra,
  };
}

describe('UsageStatsRecorder', () => {
  let runtime: ReturnType<typeof strictMock<PluginRuntime>>;
  let added: UsageDelta[][];
  let sink: InstallationUsageSink;

  beforeEach(() => {
    runtime = strictMock(PluginRuntime);
    runtime.redact.mockImplementation((_id: string, text: string) => redactSecrets(text, { password: SECRET }));
    added = [];
    sink = {
      add: vi.fn((deltas: UsageDelta[]) => {
        added.push(deltas);
        return Promise.resolve();
      }),
    };
  });

  it('counts Execute (onProcess) and endpoint calls (onRequest) as work too, a timeout as an error', async () => {
    const recorder = new UsageStatsRecorder(runtime, sink);
    recorder.onCall(call({ hook: 'onProcess', durationMs: 4 }));
    recorder.onCall(call({ hook: 'onRequest', durationMs: 300, outcome: 'timeout' }));
    await recorder.flush();

    expect(added).toEqual([
      [
        {
          installationId: 'i1',
          executions: 2,
          errors: 1,
          durationMs: 304,
          lastUsed: new Date(T0),
          lastError: { message: 'timeout', at: new Date(T0) },
        },
      ],
    ]);
  });

  it('sums onMessage and onEvent calls per installation, leaving lifecycle and health hooks out', async () => {
    const recorder = new UsageStatsRecorder(runtime, sink);
    recorder.onCall(call({ durationMs: 5 }));
    recorder.onCall(call({ hook: 'onEvent', durationMs: 7, at: new Date(T0 + 5000) }));
    recorder.onCall(
      call({
        durationMs: 30,
        outcome: 'error',
        error: { code: 'PLUGIN_ERROR', message: `login ${SECRET} refused` },
        at: new Date(T0 + 1000),
      }),
    );
    recorder.onCall(call({ hook: 'onInit', durationMs: 100 }));
    recorder.onCall(call({ hook: 'onHealth', durationMs: 100, outcome: 'error' }));
    await recorder.flush();

    expect(added).toEqual([
      [
        {
          installationId: 'i1',
          executions: 3,
          errors: 1,
          durationMs: 42,
          lastUsed: new Date(T0 + 5000),
          lastError: { message: 'PLUGIN_ERROR: login [redacted] refused', at: new Date(T0 + 1000) },
        },
      ],
    ]);
  });

  it('hands each call over once', async () => {
    const recorder = new UsageStatsRecorder(runtime, sink);
    recorder.onCall(call());
    await recorder.flush();
    await recorder.flush();
    expect(sink.add).toHaveBeenCalledTimes(1);
  });

  it('records nothing while no module binds INSTALLATION_USAGE', async () => {
    const recorder = new UsageStatsRecorder(runtime, null);
    recorder.onCall(call());
    await recorder.flush();
    expect(runtime.redact).not.toHaveBeenCalled();
  });
});
