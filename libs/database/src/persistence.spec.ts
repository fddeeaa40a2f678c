import { Injectable, type Provider } from '@nestjs/common';
import { getModelToken, Schema, SchemaFactory } from '@nestjs/mongoose';
import { describe, expect, it } from 'vitest';
import { models, persistenceModule } from './persistence.js';

@Schema({ collection: 'first_things' })
class FirstDoc {}
@Schema({ collection: 'second_things' })
class SecondDoc {}
const FirstSchema = SchemaFactory.createForClass(FirstDoc);
const SecondSchema = SchemaFactory.createForClass(SecondDoc);

@Injectable()
class FirstRepository {}
@Injectable()
class SecondRepository {}
@Injectable()
class LookupAdapter {}
const LOOKUP = Symbol('LOOKUP');
class SomeModule {}

const tokensOf = (providers: Provider[] | undefined) =>
  (providers ?? []).map((p) => (typeof p === 'function' ? p : (p as { provide: unknown }).provide));

describe('models', () => {
  it('registers one model per collection, named after its document class', () => {
    const module = models([FirstDoc, FirstSchema], [SecondDoc, SecondSchema]);
    expect(tokensOf(module.providers)).toEqual([getModelToken('FirstDoc'), getModelToken('SecondDoc')]);
  });
});

describe('persistenceModule', () => {
  it('provides and exports the repositories in their order', () => {
    const meta = persistenceModule({
      models: [[FirstDoc, FirstSchema]],
      repositories: [FirstRepository, SecondRepository],
    });
    expect(meta.providers).toEqual([FirstRepository, SecondRepository]);
    expect(meta.exports).toEqual([FirstRepository, SecondRepository]);
  });

  it('provides an adapter and its binding for each port and exports the token, not the adapter', () => {
    const binding = { provide: LOOKUP, useExisting: LookupAdapter };
    const meta = persistenceModule({
      models: [[FirstDoc, FirstSchema]],
      repositories: [FirstRepository],
      ports: [binding],
    });
    expect(meta.providers).toEqual([FirstRepository, LookupAdapter, binding]);
    expect(meta.exports).toEqual([FirstRepository, LOOKUP]);
  });

  it('imports the given modules before the models', () => {
    const meta = persistenceModule({ imports: [SomeModule], models: [[SecondDoc, SecondSchema]] });
    expect(meta.imports?.[0]).toBe(SomeModule);
    expect(tokensOf((meta.imports?.[1] as { providers?: Provider[] }).providers)).toEqual([getModelToken('SecondDoc')]);
  });
});
