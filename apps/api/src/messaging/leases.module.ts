import { Global, Module } from '@nestjs/common';
import { InstallationModule } from '../installation/installation.module.js';
import { INSTALLATION_PLACEMENT } from '../installation/installation.ports.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LeasePlacement } from './lease-placement.js';
import { MessagingPersistenceModule } from './persistence/messaging-persistence.module.js';

/**
 * Binds the installation module's INSTALLATION_PLACEMENT to leases when NATS_URL is set (null without: one node
 * runs everything). Global, the way ports are bound (docs/MODULES.md), and apart from LeasesModule because
 * InstallationModule itself needs the binding.
 */
@Global()
@Module({
  imports: [MessagingPersistenceModule],
  providers: [
    LeasePlacement,
    {
      provide: INSTALLATION_PLACEMENT,
      inject: [LeasePlacement],
      useFactory: (placement: LeasePlacement) => (placement.enabled ? placement : null),
    },
  ],
  exports: [INSTALLATION_PLACEMENT, LeasePlacement],
})
export class LeasePlacementModule {}

/** Renews this node's leases, stops what it lost and takes over what dead nodes left (LeaseKeeper). */
@Module({
  imports: [MessagingPersistenceModule, InstallationModule],
  providers: [LeaseKeeper],
  exports: [LeaseKeeper],
})
export class LeasesModule {}
