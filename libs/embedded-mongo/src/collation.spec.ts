import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareBson } from './bson-order.js';
import { parseCollation } from './collation.js';
import { EmbeddedMongoServer } from './index.js';

/** Letters where case, accents and digits make collations disagree with binary order and with each other. */
const word = fc.stringMatching(/^[aAáÁbBeEéÉzZ0-9 -]{0,6}$/);

describe('collation under random strings', () => {
  let server: EmbeddedMongoServer;
  let client: MongoClient;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start();
    client = new MongoClient(server.uri);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('sorts, matches, ranges and indexes exactly as ICU (Intl.Collator) orders the strings', async () => {
    const c = client.db('collprop').collection<{ _id: number; w: string }>('words');
    await fc.assert(
      fc.asyncProperty(
        fc.array(word, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(1, 2, 3),
        fc.boolean(),
        fc.boolean(),
        async (words, strength, numericOrdering, indexed) => {
          await c.drop().catch(() => undefined);
          const collation = { locale: 'en', strength, numericOrdering };
          if (indexed) await c.createIndex({ w: 1 }, { collation });
          await c.insertMany(words.map((w, _id) => ({ _id, w })));
          const icu = new Intl.Collator('en', {
            sensitivity: strength === 1 ? 'base' : strength === 2 ? 'accent' : 'variant',
            numeric: numericOrdering,
          });
          const sorted = (await c.find({}, { collation }).sort({ w: 1, _id: 1 }).toArray()).map((d) => d.w);
          for (let i = 1; i < sorted.length; i++) expect(icu.compare(sorted[i - 1], sorted[i])).toBeLessThanOrEqual(0);
          const probe = words[0];
          const equal = words.filter((w) => icu.compare(w, probe) === 0).length;
          expect(await c.countDocuments({ w: probe }, { collation })).toBe(equal);
          const below = words.filter((w) => icu.compare(w, probe) < 0).length;
          expect(await c.countDocuments({ w: { $lt: probe } }, { collation })).toBe(below);
          const distinct = await c.distinct('w', {}, { collation });
          const groups = new Set(words.map((w) => sortedClassOf(words, w, icu)));
          expect(distinct).toHaveLength(groups.size);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('compares through compareBson as the collator does, and nests into arrays and documents', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const collation = parseCollation({ locale: 'fr', strength: 2 });
        const icu = new Intl.Collator('fr', { sensitivity: 'accent' });
        expect(Math.sign(compareBson(a, b, collation))).toBe(Math.sign(icu.compare(a, b)));
        expect(Math.sign(compareBson([a], [b], collation))).toBe(Math.sign(icu.compare(a, b)));
        expect(Math.sign(compareBson({ k: a }, { k: b }, collation))).toBe(Math.sign(icu.compare(a, b)));
      }),
    );
  });
});

/** The first word (in input order) equal to `w` under the collator: one representative per class. */
function sortedClassOf(words: string[], w: string, icu: Intl.Collator): string {
  return words.find((x) => icu.compare(x, w) === 0) ?? w;
}
