import { Injectable } from '@nestjs/common';
import { PluginStorageRepository } from './persistence/plugin-storage.repository.js';

/**
 * What other modules may do with an installation's plugin storage (`context.storage`) without reaching into the
 * runtime's persistence: the installation module clears it on uninstall with `delete_config`, the metrics module
 * can read its usage.
 */
@Injectable()
export class PluginDataService {
  constructor(private readonly storage: PluginStorageRepository) {}

  /** Removes every key the installation stored, and its usage counter. */
  clear(installationId: string): Promise<void> {
    return this.storage.clear(installationId);
  }

  /** Bytes the installation stores (keys + JSON values). */
  usage(installationId: string): Promise<number> {
    return this.storage.usage(installationId);
  }
}
