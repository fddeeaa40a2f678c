import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PublicEndpointsRepository } from './public-endpoints.repository.js';
import { PublicEndpointsDoc, PublicEndpointsSchema } from './public-endpoints.schema.js';

/** The plugin_public_endpoints collection. */
@Module({
  imports: [MongooseModule.forFeature([{ name: PublicEndpointsDoc.name, schema: PublicEndpointsSchema }])],
  providers: [PublicEndpointsRepository],
  exports: [PublicEndpointsRepository],
})
export class PluginEndpointsPersistenceModule {}
