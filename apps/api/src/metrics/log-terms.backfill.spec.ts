import { JsonLogger, LogOutput } from '@app/common';
import { beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { LogTermsBackfill } from './log-terms.backfill.js';
import { BackfillMarkRepository } from './persistence/backfill-mark.repository.js';
import { PluginLogRepository } from './persistence/plugin-log.repository.js';

describe('LogTermsBackfill', () => {
  let logs: ReturnType<typeof strictMock<PluginLogRepository>>;
  let marks: ReturnType<typeof strictMock<BackfillMarkRepository>>;
  let backfill: LogTermsBackfill;
  let done: boolean;

  beforeEach(() => {
    logs = strictMock(PluginLogRepository);
    marks = strictMock(BackfillMarkRepository);
    done = false;
    marks.isDone.mockImplementation(() => Promise.resolve(done));
    marks.markDone.mockImplementation(() => {
      done = true;
      return Promise.resolve();
    });
    logs.replaceTermsIndex.mockResolvedValue(false);
    backfill = new LogTermsBackfill(logs, marks, new TestClock(), new JsonLogger(new LogOutput('silent')));
  });

  it('goes on after the last line of each batch until none is left, then marks itself done', async () => {
    const batches = [
      { updated: 1000, last: 'a1' },
      { updated: 7, last: 'b2' },
      { updated: 0, last: null },
    ];
    logs.addMissingTerms.mockImplementation(() => Promise.resolve(batches.shift()!));
    logs.dropHeadsIndex.mockResolvedValue(true);

    expect(await backfill.run()).toBe(1007);
    expect(logs.addMissingTerms.mock.calls.map(([after]) => after)).toEqual([null, 'a1', 'b2']);
    expect(logs.dropHeadsIndex).toHaveBeenCalledTimes(1);
    expect(marks.markDone).toHaveBeenCalledTimes(1);

    expect(await backfill.run()).toBe(0); // marked: not run again
    expect(logs.addMissingTerms).toHaveBeenCalledTimes(3);
  });

  it('replaces the search index from before _id at every start, also once the terms are done', async () => {
    done = true;
    logs.replaceTermsIndex.mockResolvedValue(true);
    expect(await backfill.run()).toBe(0);
    expect(logs.replaceTermsIndex).toHaveBeenCalledTimes(1);
    expect(logs.addMissingTerms).not.toHaveBeenCalled();
  });

  it('stops between batches at shutdown without marking itself done', async () => {
    logs.addMissingTerms.mockImplementation(async () => {
      await backfill.beforeApplicationShutdown();
      return { updated: 1000, last: 'c3' };
    });

    expect(await backfill.run()).toBe(1000);
    expect(logs.addMissingTerms).toHaveBeenCalledTimes(1);
    expect(logs.dropHeadsIndex).not.toHaveBeenCalled();
    expect(marks.markDone).not.toHaveBeenCalled();
  });
});
