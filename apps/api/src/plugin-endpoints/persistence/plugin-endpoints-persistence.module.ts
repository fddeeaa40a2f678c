import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { PublicEndpointsRepository } from './public-endpoints.repository.js';
import { PublicEndpointsDoc, PublicEndpointsSchema } from './public-endpoints.schema.js';

/** The plugin_public_endpoints collection. */
@Module(
  persistenceModule({
    models: [[PublicEndpointsDoc, PublicEndpointsSchema]],
    repositories: [PublicEndpointsRepository],
  }),
)
export class PluginEndpointsPersistenceModule {}
