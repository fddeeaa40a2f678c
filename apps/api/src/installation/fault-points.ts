import { Inject, Injectable } from '@nestjs/common';
import type { InstallationConfig } from '../config/app-config.js';
import { INSTALLATION_CONFIG } from '../config/config.module.js';

/**
 * The named points of multi-step operations at which the crash tests stop the process (test/installation-crash
 * .e2e-spec.ts). A test seam, inert unless PLUGHUB_TEST_FAULT_POINT names one: `install.step_written#2` kills the
 * process with SIGKILL the second time that point is reached, `install.applied` the first time.
 */
export const FAULT_POINTS = [
  /** The journal entry is written; nothing else is. */
  'install.journaled',
  /** One more installation document of the plan is written (counted: `#n` is after the n-th). */
  'install.step_written',
  /** Every document is written, nothing is started. */
  'install.applied',
  /** One more installation of the plan was started in the runtime. */
  'install.activated',
  /**
   * The operation is marked done; its documents are not released and the journal entry is not deleted yet. Not
   * reached by a one-step install (settling its installation releases it: that write is its commit).
   */
  'install.committed',
  /** The installation is marked uninstalling. */
  'uninstall.marked',
  /** The installation is stopped in the runtime; its document and data are still there. */
  'uninstall.stopped',
  /** An update (or a rollback to a backup) is journaled; nothing else is written. */
  'update.journaled',
  /** One more installation document of the update is written (counted: `#n` is after the n-th). */
  'update.step_written',
  /** The installation points at the new version; the old one is not stopped yet. */
  'update.applied',
  /** One more installation of the update was (re)started in the runtime. */
  'update.activated',
  /** The update is marked done; its documents are not released and the journal entry is not deleted yet. */
  'update.committed',
  /** The admin's kill switch flag is set on the plugin; no installation is marked or stopped yet (admin module). */
  'kill.flagged',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

@Injectable()
export class FaultPoints {
  private readonly point: string | null;
  private readonly nth: number;
  private hits = 0;

  constructor(@Inject(INSTALLATION_CONFIG) config: InstallationConfig) {
    const [point, nth] = (config.faultPoint ?? '').split('#');
    this.point = point || null;
    this.nth = nth ? Number(nth) : 1;
  }

  /** Kills the process here if PLUGHUB_TEST_FAULT_POINT names this point (and this is the n-th time). */
  hit(point: FaultPoint): void {
    if (this.point !== point || ++this.hits < this.nth) return;
    process.kill(process.pid, 'SIGKILL');
  }
}
