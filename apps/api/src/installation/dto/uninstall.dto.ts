import type { Installation } from '../installation.entity.js';
import { InstallationTargetDto } from './installation-response.dto.js';
import { ApiDate } from '@app/common';

/** What an uninstall did. */
export class UninstallResultDto {
  /** The plugin key. */
  plugin: string;
  /** The removed installation's id. */
  installation_id: string;
  /** Where it was installed. */
  target: InstallationTargetDto;
  /** The version that was installed. */
  version: string;
  /** Settings and plugin storage were removed (true) or kept for a later install here (false). */
  delete_config: boolean;
  /** When it was uninstalled. */
  @ApiDate()
  uninstalled_at: string;

  static from(i: Installation, deleteConfig: boolean, at: Date): UninstallResultDto {
    return {
      plugin: i.pluginKey,
      installation_id: i.id,
      target: InstallationTargetDto.from(i.target),
      version: i.installedVersion,
      delete_config: deleteConfig,
      uninstalled_at: at.toISOString(),
    };
  }
}
