import type { HookCallEvent } from '@app/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { loadConfig } from '../config/app-config.js';
import { bucketIndex } from './latency-histogram.js';
import { MetricBucketRecorder } from './metric-bucket.recorder.js';
import type { MinuteBucket } from './metrics.entity.js';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';

const T0 = Date.UTC(2026, 11, 1, 9, 30);

function call(offsetMs: number, extra: Partial<HookCallEvent> = {}): HookCallEvent {
  return {
    installationId: 'i1',
    pluginKey: 'acme.p',
    version: '1.0.0',
    hook: 'onMessage',
    outcome: 'ok',
    durationMs: 10,
    at: new Date(T0 + offsetMs),
    ...extra,
  };
}

describe('MetricBucketRecorder', () => {
  let repo: ReturnType<typeof strictMock<MetricBucketRepository>>;
  let recorder: MetricBucketRecorder;
  let written: Array<{ buckets: MinuteBucket[]; retentionMs: number }>;

  beforeEach(() => {
    repo = strictMock(MetricBucketRepository);
    written = [];
    repo.add.mockImplementation((buckets: MinuteBucket[], retentionMs: number) => {
      written.push({ buckets, retentionMs });
      return Promise.resolve();
    });
    recorder = new MetricBucketRecorder(repo, { ...loadConfig({}).metrics, retentionDays: 2 });
  });

  it('folds calls into one bucket per installation and minute, per hook too; onHealth is no traffic', async () => {
    recorder.onCall(call(0, { durationMs: 4, memoryBytes: 5000 }));
    recorder.onCall(call(59_999, { durationMs: 40, outcome: 'timeout', memoryBytes: 9000 }));
    recorder.onCall(call(30_000, { hook: 'onHealth', durationMs: 1 }));
    recorder.onCall(call(60_000, { durationMs: 7 }));
    recorder.onCall(call(0, { installationId: 'i2' }));
    await recorder.flush();

    expect(written).toHaveLength(1);
    expect(written[0].retentionMs).toBe(2 * 86_400_000);
    const [first, second, other] = written[0].buckets;
    expect(first).toEqual({
      installationId: 'i1',
      pluginKey: 'acme.p',
      minute: new Date(T0),
      calls: 2,
      errors: 1,
      durationSumMs: 44,
      latency: { [bucketIndex(4)]: 1, [bucketIndex(40)]: 1 },
      memoryMaxBytes: 9000,
      hooks: {
        onMessage: { calls: 2, errors: 1, durationSumMs: 44 },
        onHealth: { calls: 1, errors: 0, durationSumMs: 1 },
      },
    });
    expect(second).toMatchObject({ minute: new Date(T0 + 60_000), calls: 1, memoryMaxBytes: null });
    expect(other).toMatchObject({ installationId: 'i2', calls: 1 });
  });

  it('writes each call once: a second flush has nothing to write', async () => {
    recorder.onCall(call(0));
    await recorder.flush();
    await recorder.flush();
    expect(repo.add).toHaveBeenCalledTimes(1);
  });

  it('keeps one bucket per minute when calls arrive out of order across a minute boundary', async () => {
    recorder.onCall(call(59_000, { durationMs: 1 }));
    recorder.onCall(call(60_500, { durationMs: 2, outcome: 'error' }));
    recorder.onCall(call(59_500, { durationMs: 3, memoryBytes: 700 }));
    recorder.onCall(call(61_000, { durationMs: 4 }));
    await recorder.flush();

    expect(written[0].buckets).toEqual([
      expect.objectContaining({ minute: new Date(T0), calls: 2, errors: 0, durationSumMs: 4, memoryMaxBytes: 700 }),
      expect.objectContaining({ minute: new Date(T0 + 60_000), calls: 2, errors: 1, durationSumMs: 6 }),
    ]);
    expect(written[0].buckets[1].hooks).toEqual({ onMessage: { calls: 2, errors: 1, durationSumMs: 6 } });
  });

  it('starts an installation afresh after a flush without its calls, and counts it again from its next call', async () => {
    recorder.onCall(call(0));
    await recorder.flush();
    await recorder.flush(); // i1 idle: forgotten
    recorder.onCall(call(120_000, { durationMs: 5 }));
    await recorder.flush();

    expect(written.map((w) => w.buckets.map((b) => [b.minute.getTime() - T0, b.calls]))).toEqual([
      [[0, 1]],
      [[120_000, 1]],
    ]);
  });
});
