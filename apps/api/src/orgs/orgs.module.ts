import { Module } from '@nestjs/common';
import { AccessModule } from '../auth/access.module.js';
import { UsersModule } from '../users/users.module.js';
import { InvitationsController } from './invitations.controller.js';
import { InvitationsService } from './invitations.service.js';
import { OrgsController } from './orgs.controller.js';
import { OrgsService } from './orgs.service.js';
import { OrgsPersistenceModule } from './persistence/orgs-persistence.module.js';
import { PublisherNamesBootstrap } from './publisher-names.bootstrap.js';

@Module({
  imports: [OrgsPersistenceModule, UsersModule, AccessModule],
  controllers: [OrgsController, InvitationsController],
  providers: [OrgsService, InvitationsService, PublisherNamesBootstrap],
  exports: [OrgsService],
})
export class OrgsModule {}
