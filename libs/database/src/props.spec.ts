import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';
import { describe, expect, it } from 'vitest';
import {
  PropDefault,
  PropNullableDate,
  PropNullableMixed,
  PropNullableString,
  PropRequired,
  PropRequiredDate,
  PropRequiredString,
  PropStringList,
} from './props.js';

@Schema({ collection: 'folded', versionKey: false })
class Folded {
  @PropRequired()
  a: string;
  @PropRequired()
  b: number;
  @PropRequiredString()
  c: string;
  @PropRequiredDate()
  d: Date;
  @PropNullableString()
  e: string | null;
  @PropNullableDate()
  f: Date | null;
  @PropNullableMixed()
  g: unknown;
  @PropDefault(0)
  h: number;
  @PropDefault(false)
  i: boolean;
  @PropDefault('')
  j: string;
  @PropStringList()
  k: string[];
}

/** What `Folded` stands for, written out as the schemas did before. */
@Schema({ collection: 'written', versionKey: false })
class Written {
  @Prop({ required: true })
  a: string;
  @Prop({ required: true })
  b: number;
  @Prop({ type: String, required: true })
  c: string;
  @Prop({ type: Date, required: true })
  d: Date;
  @Prop({ type: String, default: null })
  e: string | null;
  @Prop({ type: Date, default: null })
  f: Date | null;
  @Prop({ type: MongooseSchema.Types.Mixed, default: null })
  g: unknown;
  @Prop({ default: 0 })
  h: number;
  @Prop({ default: false })
  i: boolean;
  @Prop({ default: '' })
  j: string;
  @Prop({ type: [String], default: [] })
  k: string[];
}

const folded = SchemaFactory.createForClass(Folded);
const written = SchemaFactory.createForClass(Written);
const FIELDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];

describe('persistence field decorators', () => {
  it.each(FIELDS)('field %s is stored as with the @Prop literal it stands for (type, options)', (field) => {
    const got = folded.path(field);
    const want = written.path(field);
    expect(got.instance).toBe(want.instance);
    expect(got.options).toEqual(want.options);
  });

  it('gives each field an options object of its own (two PropRequired fields keep their own types)', () => {
    expect(folded.path('a').instance).toBe('String');
    expect(folded.path('b').instance).toBe('Number');
  });
});
