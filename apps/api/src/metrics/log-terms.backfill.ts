import { Inject, Injectable } from '@nestjs/common';
import { Clock, JsonLogger } from '@app/common';
import { BackfillMarkRepository } from './persistence/backfill-mark.repository.js';
import { PluginLogRepository } from './persistence/plugin-log.repository.js';
import { StartupBackfill } from './startup-backfill.js';

const NAME = 'plugin_log_terms';
const BATCH = 1000;

/**
 * At start-up, off the request path: log lines stored before searches looked lines up by their terms (word heads
 * and pairs of words) get theirs, a batch of BATCH at a time, so a search with a word finds them too; the word
 * heads they may hold instead go, and so does the index of those once every line has terms. Idempotent and
 * resumable: a line with terms is never written again, a run cut short (shutdown, failure) starts again at the
 * next start-up, and one that reached the end is marked and not run again. Before that, on every start, the search
 * index from before `_id` ended it (installation_terms) is replaced (see PluginLogRepository.replaceTermsIndex).
 */
@Injectable()
export class LogTermsBackfill extends StartupBackfill {
  constructor(
    private readonly logs: PluginLogRepository,
    private readonly marks: BackfillMarkRepository,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    super(logger.child('LogTermsBackfill'), 'Search-term backfill');
  }

  async run(): Promise<number> {
    // Every start-up (one listIndexes when there is nothing to do): the search index gained `_id` after its terms.
    if (await this.logs.replaceTermsIndex()) this.logger.info('Search index replaced by one ending in _id');
    if (await this.marks.isDone(NAME)) return 0;
    const { total, done } = await this.inBatches((after, size) => this.logs.addMissingTerms(after, size), BATCH);
    if (!done) {
      this.logger.info('Search-term backfill paused by shutdown', { lines: total });
      return total;
    }
    const dropped = await this.logs.dropHeadsIndex();
    await this.marks.markDone(NAME, this.clock.now());
    if (total > 0 || dropped) this.logger.info('Search-term backfill done', { lines: total, dropped_index: dropped });
    return total;
  }
}
