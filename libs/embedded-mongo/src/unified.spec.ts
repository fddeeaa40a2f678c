import { afterAll, beforeAll, describe, it } from 'vitest';
import { EmbeddedMongoServer } from './index.js';
import {
  driverCannotRun,
  loadSpecFile,
  Skip,
  specFiles,
  UnifiedRun,
  unmetRequirements,
  type UnifiedTest,
} from './testing/unified-runner.js';

/**
 * Runs files in the driver specifications' unified test format against the engine. The files are not kept here:
 * UNIFIED_SPEC_PATHS names files or directories (separated by the path delimiter ':'), e.g. a checkout of
 * mongodb/specifications' source/crud/tests/unified; without it the suite is skipped. UNIFIED_SPEC_URI runs them
 * against another server (a 7.0 replica set) instead, to tell an engine defect from a runner limitation.
 */
const paths = (process.env.UNIFIED_SPEC_PATHS ?? '').split(':').filter(Boolean);

/** Tests the Node driver itself cannot pass, whatever the server: skipped with the reason, as its own runner does. */
const DRIVER_LIMITS: [RegExp, string][] = [
  [
    /^inserting _id with type null via (insertOne|insertMany|bulkWrite)$/,
    'the Node driver replaces a null _id by an ObjectId',
  ],
  [/^inserting _id with type undefined via /, 'the Node driver replaces an undefined _id by an ObjectId'],
  [
    /^collection writeConcern ignored for /,
    'the Node driver adds wtimeout: 10000 to the write concern of a commitTransaction it sends',
  ],
  [
    /retried maxAttempts=5 times if backpressure labels are added$/,
    'the Node driver 7.8 retries an overloaded operation maxAdaptiveRetries (default 2) times, not 4',
  ],
  [
    /^commitTransaction retries if backpressure labels are added$/,
    "the Node driver 7.8 retries an overloaded commitTransaction without the {w: 'majority', wtimeout} of a retried commit",
  ],
  [
    /^withTransaction still succeeds if callback (aborts|commits) and runs extra op$/,
    "expects afterClusterTime on a fresh session's first command, which the driver sends only once the session has an operationTime (the Node driver's own runner skips it: NODE-5855)",
  ],
];
/** What the engine does not claim (README, known divergences): skipped with the reason. */
const ENGINE_LIMITS: [RegExp, string][] = [
  [/^inserting _id with type symbol via /, 'the engine stores a BSON symbol (deprecated) as a string'],
];
const driverLimit = (description: string): string | undefined =>
  [...DRIVER_LIMITS, ...ENGINE_LIMITS].find(([pattern]) => pattern.test(description))?.[1];
/** Operations of what the engine does not implement at all (README: not implemented): skipped on the engine. */
const ENGINE_LACKS: Record<string, string> = {
  createChangeStream: 'the engine has no change streams ($changeStream is 40324 Unrecognized pipeline stage)',
};
const engineLacks = (test: UnifiedTest): string | undefined => {
  const names = JSON.stringify(test.operations).match(/"name":"\w+"/g) ?? [];
  return names.map((n) => ENGINE_LACKS[n.slice(8, -1)]).find((why) => why !== undefined);
};
const externalUri = process.env.UNIFIED_SPEC_URI;

describe.skipIf(paths.length === 0)('driver specification unified tests', () => {
  let server: EmbeddedMongoServer | undefined;
  let uri = externalUri ?? '';
  beforeAll(async () => {
    if (!externalUri) {
      server = await EmbeddedMongoServer.start({ enableTestCommands: true });
      uri = server.uri;
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const path of paths.length > 0 ? specFiles(paths) : []) {
    const file = loadSpecFile(path);
    const fileUnmet = unmetRequirements(file.runOnRequirements);
    describe(`${path.split('/').pop()}: ${file.description}`, () => {
      for (const test of file.tests) {
        const skip =
          fileUnmet ??
          test.skipReason ??
          unmetRequirements(test.runOnRequirements) ??
          driverLimit(test.description) ??
          (externalUri ? undefined : engineLacks(test)) ??
          driverCannotRun(test);
        it.skipIf(skip !== undefined)(test.description, async (ctx) => {
          const run = new UnifiedRun(uri);
          try {
            await run.createEntities(file.createEntities);
            await run.initialData(file.initialData);
            await run.runTest(file, test);
          } catch (err) {
            if (err instanceof Skip) ctx.skip(err.message);
            throw err;
          } finally {
            await run.close();
          }
        });
      }
    });
  }
});
