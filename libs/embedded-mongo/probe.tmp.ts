import { runPipeline } from './src/aggregate.js';
import { ObjectId, Binary, UUID } from 'bson';
const a = new ObjectId(),
  b = new ObjectId();
const docs = [
  { _id: 1, o: a, n: 1, d: new Date('2024-01-01') },
  { _id: 2, o: b, n: 2, d: new Date('2024-01-02') },
  { _id: 3, o: new ObjectId(a.toHexString()), n: 3, d: new Date('2024-01-01') },
];
const other = [
  { _id: a, name: 'A' },
  { _id: b, name: 'B' },
];
const show = (x: unknown) => console.log(JSON.stringify(x));
show(runPipeline(docs, [{ $group: { _id: '$o', n: { $sum: '$n' } } }], () => other));
show(runPipeline(docs, [{ $group: { _id: '$d', n: { $sum: 1 } } }], () => other));
show(runPipeline(docs, [{ $group: { _id: null, s: { $addToSet: '$o' } } }], () => other));
show(
  runPipeline(
    docs,
    [
      { $lookup: { from: 'x', localField: 'o', foreignField: '_id', as: 'j' } },
      { $project: { n: 1, name: { $first: '$j.name' } } },
    ],
    () => other,
  ),
);
show(runPipeline(docs, [{ $match: { o: a } }, { $count: 'c' }], () => other));
show(runPipeline(docs, [{ $group: { _id: { o: '$o' }, n: { $sum: 1 } } }], () => other));
show(
  runPipeline(
    [{ u: new UUID('00000000-0000-0000-0000-000000000001') }, { u: new UUID('00000000-0000-0000-0000-000000000002') }],
    [{ $group: { _id: '$u', n: { $sum: 1 } } }],
    () => other,
  ),
);
