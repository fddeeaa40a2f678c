import { Injectable } from '@nestjs/common';
import type { UsageDelta } from '../../metrics/metrics.entity.js';
import type { InstallationUsageSink } from '../../metrics/metrics.ports.js';
import { InstallationRepository } from './installation.repository.js';

/**
 * The installation module's binding of the metrics module's INSTALLATION_USAGE: the usage stats are fields of the
 * installation (execution_count, error_count, total and average execution time, last_error, last_used), added to
 * atomically from each flush of the metrics module.
 */
@Injectable()
export class InstallationUsageAdapter implements InstallationUsageSink {
  constructor(private readonly installations: InstallationRepository) {}

  add(deltas: UsageDelta[]): Promise<void> {
    return this.installations.addUsage(deltas);
  }
}
