import { describe, expect, it } from 'vitest';
import { checkPipeline, runPipeline } from './aggregate.js';
import { parseSort } from './collection.js';
import { asCommandError } from './errors.js';
import { validateUpdate } from './update.js';
import { codeOf } from './testing/error-code.js';

const rows = [
  { _id: 'r1', team: 'a', tags: ['x', 'y'], pts: 3 },
  { _id: 'r2', team: 'b', tags: [], pts: 5 },
];
const run = (pipeline: object[]) => runPipeline(rows, pipeline as never, () => []);

/** Pipelines are parsed as mongod parses them: before a document is read, with its codes. */
describe('aggregation pipeline parsing', () => {
  it('takes one field per stage (40323)', () => {
    expect(codeOf(() => checkPipeline([{ $match: { team: 'a' }, $limit: 1 }]))).toBe(40323);
    expect(codeOf(() => checkPipeline([{}]))).toBe(40323);
    expect(codeOf(() => run([{ $skip: 0, $limit: 1 }]))).toBe(40323);
    expect(run([{ $sort: { _id: 1 } }, { $match: { $comment: 'a note', team: 'b' } }])).toEqual([rows[1]]);
  });

  it('takes a positive integer for $limit and a non-negative one for $skip', () => {
    expect(codeOf(() => checkPipeline([{ $limit: 0 }]))).toBe(15958);
    expect(codeOf(() => checkPipeline([{ $limit: -2 }]))).toBe(5107201);
    expect(codeOf(() => checkPipeline([{ $limit: 1.5 }]))).toBe(5107201);
    expect(codeOf(() => checkPipeline([{ $limit: 'ten' }]))).toBe(5107201);
    expect(codeOf(() => checkPipeline([{ $skip: -1 }]))).toBe(5107200);
    expect(codeOf(() => checkPipeline([{ $skip: 0 }, { $limit: 1 }]))).toBeUndefined();
  });

  it('takes a $-prefixed path for $unwind, as a string or in an object', () => {
    expect(codeOf(() => checkPipeline([{ $unwind: 'tags' }]))).toBe(28818);
    expect(codeOf(() => checkPipeline([{ $unwind: '$' }]))).toBe(28818);
    expect(codeOf(() => checkPipeline([{ $unwind: { path: 'tags' } }]))).toBe(28818);
    expect(codeOf(() => checkPipeline([{ $unwind: { preserveNullAndEmptyArrays: true } }]))).toBe(28812);
    expect(codeOf(() => checkPipeline([{ $unwind: { path: 3 } }]))).toBe(28808);
    expect(codeOf(() => checkPipeline([{ $unwind: 3 }]))).toBe(15981);
    expect(run([{ $unwind: { path: '$tags', preserveNullAndEmptyArrays: true } }])).toHaveLength(3);
  });

  it('takes an object with an _id for $group, and checks $facet sub-pipelines', () => {
    expect(codeOf(() => checkPipeline([{ $group: { total: { $sum: '$pts' } } }]))).toBe(15955);
    expect(codeOf(() => checkPipeline([{ $group: 'team' }]))).toBe(15947);
    expect(codeOf(() => checkPipeline([{ $group: { _id: '$team', v: { $frobnicate: 1 } } }]))).toBe(15952);
    expect(codeOf(() => checkPipeline([{ $facet: { firstTwo: [{ $limit: 0 }] } }]))).toBe(15958);
    expect(run([{ $group: { _id: null, total: { $sum: '$pts' } } }])).toEqual([{ _id: null, total: 8 }]);
  });

  it('takes at least one field in $project (51272), $addFields and $set (40177), names in $unset (31002/31120)', () => {
    expect(codeOf(() => checkPipeline([{ $project: {} }]))).toBe(51272);
    expect(codeOf(() => checkPipeline([{ $addFields: {} }]))).toBe(40177);
    expect(codeOf(() => checkPipeline([{ $set: {} }]))).toBe(40177);
    expect(codeOf(() => checkPipeline([{ $unset: 5 }]))).toBe(31002);
    expect(codeOf(() => checkPipeline([{ $unset: ['pts', 3] }]))).toBe(31120);
    expect(codeOf(() => validateUpdate([{ $set: {} }]))).toBe(40177);
    expect(run([{ $unset: ['tags', 'pts'] }, { $set: { seen: true } }])).toEqual([
      { _id: 'r1', team: 'a', seen: true },
      { _id: 'r2', team: 'b', seen: true },
    ]);
  });

  it('takes 1 or -1 as a sort order (15975), a number only (15974)', () => {
    expect(codeOf(() => parseSort({ pts: 2 }))).toBe(15975);
    expect(codeOf(() => parseSort({ pts: 0 }))).toBe(15975);
    expect(codeOf(() => parseSort({ pts: '1' }))).toBe(15974);
    expect(codeOf(() => parseSort({ pts: true }))).toBe(15974);
    expect(parseSort({ pts: -1, _id: 1 })).toEqual([
      ['pts', -1],
      ['_id', 1],
    ]);
    expect(codeOf(() => run([{ $sort: { pts: 10 } }]))).toBe(15975);
  });
});

describe('accumulators', () => {
  const scores = [
    { _id: 's1', grp: 'g', v: 2 },
    { _id: 's2', grp: 'g', v: null },
    { _id: 's3', grp: 'g' },
    { _id: 's4', grp: 'g', v: 2 },
  ];
  const group = (acc: object) =>
    runPipeline(scores, [{ $sort: { _id: 1 } }, { $group: { _id: '$grp', out: acc } }] as never, () => []);

  it('leave a missing value out of $push and $addToSet and keep a null, as mongod', () => {
    expect(group({ $push: '$v' })).toEqual([{ _id: 'g', out: [2, null, 2] }]);
    const [set] = group({ $addToSet: '$v' });
    expect((set.out as unknown[]).sort()).toEqual([2, null].sort());
    expect(group({ $push: '$$ROOT._id' })).toEqual([{ _id: 'g', out: ['s1', 's2', 's3', 's4'] }]);
    expect(group({ $push: { k: '$v' } })).toEqual([{ _id: 'g', out: [{ k: 2 }, { k: null }, {}, { k: 2 }] }]);
  });

  it('do the same as window functions', () => {
    const out = runPipeline(
      scores,
      [
        {
          $setWindowFields: {
            sortBy: { _id: 1 },
            output: { seen: { $push: '$v', window: { documents: ['unbounded', 'current'] } } },
          },
        },
      ] as never,
      () => [],
    );
    expect(out.map((d) => d.seen)).toEqual([[2], [2, null], [2, null], [2, null, 2]]);
  });
});

describe('expression errors', () => {
  const doc = [{ _id: 'e', word: 'oak', num: 9, when: new Date(0) }];
  /** As the aggregate command answers: what mingo throws becomes the command's error. */
  const value = (expr: object): unknown => {
    try {
      return runPipeline(doc, [{ $project: { _id: 0, out: expr } }] as never, () => [])[0].out;
    } catch (err) {
      throw asCommandError(err);
    }
  };

  it('answers with mongod’s codes where mingo answered nothing, null or 2', () => {
    expect(codeOf(() => value({ $switch: { branches: [{ case: { $eq: ['$num', 1] }, then: 'one' }] } }))).toBe(40066);
    expect(codeOf(() => value({ $mod: ['$num', 0] }))).toBe(16610);
    expect(codeOf(() => value({ $ln: 0 }))).toBe(28766);
    expect(codeOf(() => value({ $log10: -3 }))).toBe(28761);
    expect(codeOf(() => value({ $sqrt: -4 }))).toBe(28714);
    expect(codeOf(() => value({ $toInt: '$word' }))).toBe(241);
    expect(codeOf(() => value({ $toDate: '$word' }))).toBe(241);
    expect(codeOf(() => value({ $dateFromString: { dateString: '$word' } }))).toBe(241);
    expect(codeOf(() => value({ $arrayElemAt: ['$word', 0] }))).toBe(28689);
    expect(codeOf(() => value({ $concat: ['$word', '$num'] }))).toBe(16702);
    expect(codeOf(() => value({ $size: '$word' }))).toBe(17124);
    expect(codeOf(() => value({ $size: '$absent' }))).toBe(17124);
    expect(codeOf(() => value({ $in: ['oak', '$word'] }))).toBe(40081);
  });

  it('still answers the valid forms, defaults and onError', () => {
    expect(value({ $switch: { branches: [{ case: { $gt: ['$num', 5] }, then: 'big' }], default: 'small' } })).toBe(
      'big',
    );
    expect(value({ $switch: { branches: [{ case: 0, then: 'zero' }], default: 'none' } })).toBe('none');
    expect(value({ $mod: ['$num', 4] })).toBe(1);
    expect(value({ $sqrt: 9 })).toBe(3);
    expect(value({ $ln: null })).toBeNull();
    expect(value({ $convert: { input: '$word', to: 'int', onError: -1 } })).toBe(-1);
    expect(value({ $dateFromString: { dateString: '$word', onError: 'bad' } })).toBe('bad');
    expect(value({ $dateFromString: { dateString: '1970-01-01T00:00:00Z' } })).toEqual(new Date(0));
    expect(value({ $arrayElemAt: [['a', 'b'], -1] })).toBe('b');
    expect(value({ $arrayElemAt: ['$absent', 0] })).toBeNull();
    expect(value({ $concat: ['$word', '-', 'tree'] })).toBe('oak-tree');
    expect(value({ $concat: ['$word', '$absent'] })).toBeNull();
    expect(value({ $size: [['x', 'y']] })).toBe(2);
    expect(value({ $in: ['oak', ['ash', 'oak']] })).toBe(true);
  });
});
