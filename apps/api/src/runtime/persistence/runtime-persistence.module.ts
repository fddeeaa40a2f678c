import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { PluginStorageRepository } from './plugin-storage.repository.js';
import {
  PluginStorageEntryDoc,
  PluginStorageEntrySchema,
  PluginStorageUsageDoc,
  PluginStorageUsageSchema,
} from './plugin-storage.schema.js';

/** The plugin_storage and plugin_storage_usage collections. */
@Module(
  persistenceModule({
    models: [
      [PluginStorageEntryDoc, PluginStorageEntrySchema],
      [PluginStorageUsageDoc, PluginStorageUsageSchema],
    ],
    repositories: [PluginStorageRepository],
  }),
)
export class RuntimePersistenceModule {}
