import { ErrorCode, MongoCommandError } from './errors.js';
import type { Doc } from './paths.js';

/** The commands of Stable API version 1 in MongoDB 7.0 (count since 6.0); with apiStrict others fail with 323. */
const API_V1_COMMANDS = new Set([
  'abortTransaction',
  'aggregate',
  'authenticate',
  'collMod',
  'commitTransaction',
  'count',
  'create',
  'createIndexes',
  'delete',
  'drop',
  'dropDatabase',
  'dropIndexes',
  'endSessions',
  'explain',
  'find',
  'findAndModify',
  'getMore',
  'hello',
  'insert',
  'killCursors',
  'listCollections',
  'listDatabases',
  'listIndexes',
  'ping',
  'refreshSessions',
  'saslContinue',
  'saslStart',
  'update',
]);

/**
 * The Stable API parameters a command carries, checked as mongod 7.0 checks them: `apiVersion` must be "1",
 * `apiStrict` and `apiDeprecationErrors` need it, and `apiStrict: true` admits only the commands of version 1.
 */
export function checkApiParameters(name: string, cmd: Doc): void {
  const { apiVersion, apiStrict, apiDeprecationErrors } = cmd;
  if (apiVersion === undefined) {
    if (apiStrict !== undefined || apiDeprecationErrors !== undefined)
      throw new MongoCommandError(4886600, 'Provided apiStrict and/or apiDeprecationErrors without passing apiVersion');
    return;
  }
  if (typeof apiVersion !== 'string')
    throw new MongoCommandError(
      ErrorCode.TypeMismatch,
      "BSON field 'apiVersion' is the wrong type, expected type 'string'",
    );
  if (apiVersion !== '1') throw new MongoCommandError(ErrorCode.APIVersionError, 'API version must be "1"');
  for (const [field, value] of Object.entries({ apiStrict, apiDeprecationErrors }))
    if (value !== undefined && typeof value !== 'boolean')
      throw new MongoCommandError(
        ErrorCode.TypeMismatch,
        `BSON field '${field}' is the wrong type, expected type 'bool'`,
      );
  if (apiStrict === true && !API_V1_COMMANDS.has(name))
    throw new MongoCommandError(
      ErrorCode.APIStrictError,
      `Provided apiStrict:true, but the command ${name} is not in API Version 1. Information on supported commands and migrations in API Version 1 can be found at https://dochub.mongodb.org/core/manual-versioned-api`,
    );
}
