import { Inject, Injectable } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import { SecretBox, type SecretKey, SecretUnreadableError } from './secret-box.js';
import { SEALED_SECRETS, type SealedSecretStore } from './secrets.ports.js';

export interface RotationReport {
  /** Values re-sealed under the new key by this run. */
  resealed: number;
  /** Values already under the new key (an earlier, interrupted run re-sealed them). */
  current: number;
  /** Values no known key opens: left as they are, and named (collection, id, path) in the log. */
  unreadable: number;
  /** Values changed by someone else while this run read them: the next run re-seals them. */
  raced: number;
  /** True when every value is under the new key (the rotation can be finished: the old key is no longer needed). */
  complete: boolean;
}

/**
 * Re-seals every stored secret under a new key (`npm run secrets:rotate`). Each value is opened with whichever key
 * sealed it and sealed again under `next` for the same context, one compare-and-set write at a time, so a run that
 * is interrupted leaves every value readable (old ones under the old key, new ones under the new) and the next run
 * carries on where it stopped. The app's SecretBox seals with `next` from the first write on. Values are never
 * logged, only where they are.
 */
@Injectable()
export class SecretRotation {
  private readonly logger: JsonLogger;

  constructor(
    private readonly box: SecretBox,
    @Inject(SEALED_SECRETS) private readonly store: SealedSecretStore,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('SecretRotation');
  }

  /** `stopAfter`: stop after re-sealing that many values (an interruption, for tests and for batches). */
  async rotate(next: SecretKey, options: { stopAfter?: number } = {}): Promise<RotationReport> {
    this.box.adopt(next);
    const report: RotationReport = { resealed: 0, current: 0, unreadable: 0, raced: 0, complete: false };
    let stopped = false;
    for await (const secret of this.store.all()) {
      if (this.box.isCurrent(secret.sealed)) {
        report.current++;
        continue;
      }
      if (options.stopAfter !== undefined && report.resealed >= options.stopAfter) {
        stopped = true;
        break;
      }
      let value: unknown;
      try {
        value = this.box.open(secret.sealed, secret.context);
      } catch (err) {
        if (!(err instanceof SecretUnreadableError)) throw err;
        report.unreadable++;
        this.logger.warn('A stored secret cannot be opened by any key; left as it is', {
          collection: secret.collection,
          id: secret.id,
          path: secret.path,
          reason: err.reason,
        });
        continue;
      }
      if (await this.store.replace(secret, this.box.seal(value, secret.context))) report.resealed++;
      else report.raced++;
    }
    if (!stopped) {
      // What someone sealed under an older key while this run went on (another process that has not seen the new
      // key yet) is counted here, so the rotation is only complete when nothing needs the old key any more.
      let behind = 0;
      for await (const secret of this.store.all()) if (!this.box.isCurrent(secret.sealed)) behind++;
      report.complete = behind === 0;
    }
    this.logger.info('Secret rotation run', { key_id: next.id, ...report });
    return report;
  }
}
