import { Global, Module } from '@nestjs/common';
import { MetaController } from './meta.controller.js';
import { MetaService } from './meta.service.js';
import { OpenApiDocumentHolder } from './openapi-document.holder.js';

@Global()
@Module({
  controllers: [MetaController],
  providers: [MetaService, OpenApiDocumentHolder],
  exports: [MetaService, OpenApiDocumentHolder],
})
export class MetaModule {}
