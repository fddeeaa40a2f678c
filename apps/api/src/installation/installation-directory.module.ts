import { Global, Module } from '@nestjs/common';
import { INSTALLATION_DIRECTORY } from '../messaging/messaging.ports.js';
import { InstallationDirectoryAdapter } from './installation-directory.adapter.js';
import { InstallationModule } from './installation.module.js';

/**
 * Binds messaging's INSTALLATION_DIRECTORY to the stored installations, so events reach subscribing plugins and
 * plugin messages find their target. Global, the way ports are bound (docs/MODULES.md, "Ports"); a module of its
 * own because the binding needs InstallationModule's runtime (manifests) and InstallationModule is not global.
 */
@Global()
@Module({
  imports: [InstallationModule],
  providers: [
    InstallationDirectoryAdapter,
    { provide: INSTALLATION_DIRECTORY, useExisting: InstallationDirectoryAdapter },
  ],
  exports: [INSTALLATION_DIRECTORY],
})
export class InstallationDirectoryModule {}
