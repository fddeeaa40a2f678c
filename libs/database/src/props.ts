import { Prop } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

// `@Prop` under one name for the options persistence schemas repeat most. Each builds a new options object per
// field (`@Prop` writes the inferred `type` into the object it is given, so one object must never serve two fields)
// and passes exactly the options its comment shows: the stored shape and the indexes are the same as with the
// literal. A field whose options are not one of these keeps its own `@Prop({...})`.

/** `@Prop({ required: true })`: the type is the property's. */
export function PropRequired() {
  return Prop({ required: true });
}

/** `@Prop({ type: String, required: true })`. */
export function PropRequiredString() {
  return Prop({ type: String, required: true });
}

/** `@Prop({ type: Date, required: true })`. */
export function PropRequiredDate() {
  return Prop({ type: Date, required: true });
}

/** `@Prop({ type: String, default: null })`. */
export function PropNullableString() {
  return Prop({ type: String, default: null });
}

/** `@Prop({ type: Date, default: null })`. */
export function PropNullableDate() {
  return Prop({ type: Date, default: null });
}

/** `@Prop({ type: Mixed, default: null })`: any JSON value, or null. */
export function PropNullableMixed() {
  return Prop({ type: MongooseSchema.Types.Mixed, default: null });
}

/** `@Prop({ default: value })` for a number, boolean or string: the type is the property's. */
export function PropDefault(value: number | boolean | string) {
  return Prop({ default: value });
}

/** `@Prop({ type: [String], default: [] })`. */
export function PropStringList() {
  return Prop({ type: [String], default: [] });
}
