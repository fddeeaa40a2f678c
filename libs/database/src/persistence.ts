import type { DynamicModule, ModuleMetadata, Type } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import type { Schema } from 'mongoose';

/** A collection of a persistence module: its document class, whose name names the model, and its schema. */
export type CollectionModel = readonly [doc: { readonly name: string }, schema: Schema];

/** A port the module binds for another one: the token and the adapter that implements it. */
export interface PortBinding {
  provide: symbol;
  useExisting: Type;
}

/** `MongooseModule.forFeature` of the collections, each model named after its document class. */
export function models(...collections: readonly CollectionModel[]): DynamicModule {
  return MongooseModule.forFeature(collections.map(([doc, schema]) => ({ name: doc.name, schema })));
}

export interface PersistenceModuleOptions {
  /** The collections whose models the repositories inject. */
  models: readonly CollectionModel[];
  /** Provided and exported, in this order. */
  repositories?: readonly Type[];
  /** Each adapter is provided and bound to its token; the token is exported (docs/MODULES.md, "Ports"). */
  ports?: readonly PortBinding[];
  /** Modules the repositories or adapters need, imported before the models. */
  imports?: NonNullable<ModuleMetadata['imports']>;
}

/**
 * The metadata of a module's persistence module (docs/MODULES.md): its models, its repositories (provided and
 * exported) and the ports it binds as the owner of their data.
 *
 *   @Module(persistenceModule({ models: [[UserDoc, UserSchema]], repositories: [UserRepository] }))
 *   export class UsersPersistenceModule {}
 */
export function persistenceModule({
  models: collections,
  repositories = [],
  ports = [],
  imports = [],
}: PersistenceModuleOptions): ModuleMetadata {
  return {
    imports: [...imports, models(...collections)],
    providers: [...repositories, ...ports.flatMap((port) => [port.useExisting, port])],
    exports: [...repositories, ...ports.map((port) => port.provide)],
  };
}
