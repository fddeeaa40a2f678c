import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { UsersModule } from '../users/users.module.js';
import { OrgRepository } from './org.repository.js';
import { MembershipDoc, MembershipSchema, OrganisationDoc, OrganisationSchema } from './org.schema.js';
import { OrgsController } from './orgs.controller.js';
import { OrgsService } from './orgs.service.js';

@Module({
  imports: [
    UsersModule,
    MongooseModule.forFeature([
      { name: OrganisationDoc.name, schema: OrganisationSchema },
      { name: MembershipDoc.name, schema: MembershipSchema },
    ]),
  ],
  controllers: [OrgsController],
  providers: [OrgRepository, OrgsService],
  exports: [OrgsService],
})
export class OrgsModule {}
