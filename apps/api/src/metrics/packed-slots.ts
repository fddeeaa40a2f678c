/** One slot of a level: calls, errors, duration sum, latency histogram, memory high-water mark. */
export interface PackedSlot {
  c: number;
  e: number;
  d: number;
  /** Latency histogram: bucket index → calls (see latency-histogram.ts). */
  l?: Record<string, number>;
  x?: number;
}

/**
 * A settled level of a day (its quarter hours or 5-minute slots) as one binary value: read back, it is one BSON
 * element instead of hundreds of sub-documents of a dozen fields each. Little-endian float64s, slot after slot:
 * the slot's minute of the day, calls, errors, duration sum, memory mark (NaN when none was measured), the number
 * k of latency buckets with calls, then k pairs (bucket index, calls). Every figure is an integer or a float64
 * already, so a slot packed and read back is the slot.
 */
const HEAD = 6;
const BYTES = 8;

/** Packs slots named `m<minute of the day>` (what a level document's `slots` holds). */
export function packSlots(slots: Readonly<Record<string, PackedSlot>>): Uint8Array {
  let values = 0;
  for (const name in slots) {
    values += HEAD;
    const counts = slots[name].l;
    for (const index in counts) if (counts[index] > 0) values += 2;
  }
  const out = new Uint8Array(values * BYTES);
  const view = new DataView(out.buffer);
  let at = 0;
  const put = (value: number) => {
    view.setFloat64(at, value, true);
    at += BYTES;
  };
  for (const name in slots) {
    const slot = slots[name];
    put(Number(name.slice(1)));
    put(slot.c);
    put(slot.e);
    put(slot.d);
    put(typeof slot.x === 'number' ? slot.x : NaN);
    const counts = slot.l ?? {};
    const kAt = at;
    put(0);
    let k = 0;
    for (const index in counts) {
      const n = counts[index];
      if (!(n > 0)) continue;
      put(Number(index));
      put(n);
      k++;
    }
    view.setFloat64(kAt, k, true);
  }
  return out;
}

/**
 * Calls `visit` with each packed slot's minute of the day and its figures, in the order they were packed. The
 * slot object is a new one each time (it may be kept).
 */
export function forEachPackedSlot(packed: Uint8Array, visit: (minute: number, slot: PackedSlot) => void): void {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const end = packed.byteLength - (packed.byteLength % BYTES);
  let at = 0;
  const next = () => {
    const value = view.getFloat64(at, true);
    at += BYTES;
    return value;
  };
  while (at + HEAD * BYTES <= end) {
    const minute = next();
    const slot: PackedSlot = { c: next(), e: next(), d: next(), l: {} };
    const x = next();
    if (!Number.isNaN(x)) slot.x = x;
    const k = next();
    for (let i = 0; i < k && at + 2 * BYTES <= end; i++) {
      const index = next();
      slot.l![index] = next();
    }
    visit(minute, slot);
  }
}

/** The packed slots as a level document's `slots` (`m<minute>` → slot). */
export function unpackSlots(packed: Uint8Array): Record<string, PackedSlot> {
  const slots: Record<string, PackedSlot> = {};
  forEachPackedSlot(packed, (minute, slot) => (slots[`m${minute}`] = slot));
  return slots;
}

/** `into` with `from` added slot by slot (calls, errors, duration, latency counts summed; memory mark the higher). */
export function addSlots(into: Record<string, PackedSlot>, from: Readonly<Record<string, PackedSlot>>) {
  for (const name in from) {
    const add = from[name];
    const slot = (into[name] ??= { c: 0, e: 0, d: 0, l: {} });
    slot.c += add.c;
    slot.e += add.e;
    slot.d += add.d;
    const counts = (slot.l ??= {});
    for (const index in add.l) counts[index] = (counts[index] ?? 0) + add.l[index];
    if (typeof add.x === 'number') slot.x = Math.max(slot.x ?? 0, add.x);
  }
  return into;
}
