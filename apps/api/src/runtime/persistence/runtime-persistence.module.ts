import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PluginStorageRepository } from './plugin-storage.repository.js';
import {
  PluginStorageEntryDoc,
  PluginStorageEntrySchema,
  PluginStorageUsageDoc,
  PluginStorageUsageSchema,
} from './plugin-storage.schema.js';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: PluginStorageEntryDoc.name, schema: PluginStorageEntrySchema },
      { name: PluginStorageUsageDoc.name, schema: PluginStorageUsageSchema },
    ]),
  ],
  providers: [PluginStorageRepository],
  exports: [PluginStorageRepository],
})
export class RuntimePersistenceModule {}
