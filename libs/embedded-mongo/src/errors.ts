/** Server-side error with a MongoDB error code; serialized as `{ ok: 0, errmsg, code, codeName }`. */
export class MongoCommandError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly errorLabels: string[] = [],
  ) {
    super(message);
  }

  get codeName(): string {
    // mongod names assertion codes without a symbolic name `Location<code>`.
    return CODE_NAMES[this.code] ?? `Location${this.code}`;
  }
}

export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  IllegalOperation: 20,
  InvalidLength: 16,
  InvalidBSON: 22,
  NamespaceNotFound: 26,
  PathNotViable: 28,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  ConflictingUpdateOperators: 40,
  CannotIndexParallelArrays: 171,
  InvalidOptions: 72,
  CannotCreateIndex: 67,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  InvalidIndexSpecificationOption: 197,
  APIVersionError: 322,
  APIStrictError: 323,
  CannotConvertIndexToUnique: 359,
  WriteConflict: 112,
  NoSuchTransaction: 251,
  TransactionTooOld: 225,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  SnapshotTooOld: 239,
  ConversionFailure: 241,
  UnsatisfiableWriteConcern: 100,
  UnknownReplWriteConcern: 79,
  CommandNotSupportedOnView: 166,
  InvalidPipelineOperator: 168,
  Location15952: 15952,
  Location17276: 17276,
  ViewDepthLimitExceeded: 149,
  DocumentValidationFailure: 121,
  OptionNotSupportedOnView: 167,
  MergeStageNoMatchingDocument: 13113,
  IndexAlreadyExists: 68,
  InvalidIdField: 53,
  EmptyFieldName: 56,
  ProtocolError: 17,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  Location40323: 40323,
  Location40324: 40324,
  Location40414: 40414,
  Location40415: 40415,
  Location15976: 15976,
  Location40192: 40192,
  Location40194: 40194,
  Location40066: 40066,
  UnsupportedOpQueryCommand: 352,
  ChecksumMismatch: 5739101,
  ShutdownInProgress: 91,
} as const;

const CODE_NAMES: Record<number, string> = {
  1: 'InternalError',
  2: 'BadValue',
  9: 'FailedToParse',
  13: 'Unauthorized',
  20: 'IllegalOperation',
  14: 'TypeMismatch',
  16: 'InvalidLength',
  17: 'ProtocolError',
  22: 'InvalidBSON',
  26: 'NamespaceNotFound',
  28: 'PathNotViable',
  27: 'IndexNotFound',
  43: 'CursorNotFound',
  48: 'NamespaceExists',
  53: 'InvalidIdField',
  56: 'EmptyFieldName',
  59: 'CommandNotFound',
  40: 'ConflictingUpdateOperators',
  66: 'ImmutableField',
  68: 'IndexAlreadyExists',
  72: 'InvalidOptions',
  67: 'CannotCreateIndex',
  73: 'InvalidNamespace',
  85: 'IndexOptionsConflict',
  86: 'IndexKeySpecsConflict',
  197: 'InvalidIndexSpecificationOption',
  322: 'APIVersionError',
  323: 'APIStrictError',
  359: 'CannotConvertIndexToUnique',
  112: 'WriteConflict',
  171: 'CannotIndexParallelArrays',
  225: 'TransactionTooOld',
  256: 'TransactionCommitted',
  251: 'NoSuchTransaction',
  263: 'OperationNotSupportedInTransaction',
  239: 'SnapshotTooOld',
  241: 'ConversionFailure',
  100: 'UnsatisfiableWriteConcern',
  79: 'UnknownReplWriteConcern',
  166: 'CommandNotSupportedOnView',
  168: 'InvalidPipelineOperator',
  149: 'ViewDepthLimitExceeded',
  121: 'DocumentValidationFailure',
  167: 'OptionNotSupportedOnView',
  13113: 'MergeStageNoMatchingDocument',
  352: 'UnsupportedOpQueryCommand',
  10334: 'BSONObjectTooLarge',
  11000: 'DuplicateKey',
  40324: 'Location40324',
  40414: 'Location40414',
  40415: 'Location40415',
  91: 'ShutdownInProgress',
};

export function badValue(message: string): MongoCommandError {
  return new MongoCommandError(ErrorCode.BadValue, message);
}

/** A command field that must be >= 0 and is not, as mongod's IDL validator answers it (51024). */
export function belowZero(field: string, value: unknown): MongoCommandError {
  return new MongoCommandError(51024, `BSON field '${field}' value must be >= 0, actual value '${String(value)}'`);
}

export function failedToParse(message: string): MongoCommandError {
  return new MongoCommandError(ErrorCode.FailedToParse, message);
}

export function writeConflict(): MongoCommandError {
  return new MongoCommandError(
    ErrorCode.WriteConflict,
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    {},
    ['TransientTransactionError'],
  );
}

/**
 * mingo's messages for what mongod answers with its own code: an undefined `$$variable` (17276) and an unknown
 * expression operator (168, "Unrecognized expression"; mingo looks it up among accumulators last).
 */
const MINGO_ERRORS: [RegExp, (m: RegExpMatchArray) => MongoCommandError][] = [
  [/^Use of undefined variable: (.+)$/, (m) => new MongoCommandError(ErrorCode.Location17276, m[0])],
  // $convert and the $to* shorthands without onError: 241 ConversionFailure, as mongod.
  [/^cannot convert .* to \w+/, (m) => new MongoCommandError(ErrorCode.ConversionFailure, m[0])],
  [
    /^accumulator '(\$[^']+)' is not registered\.$/,
    (m) => new MongoCommandError(ErrorCode.InvalidPipelineOperator, `Unrecognized expression '${m[1]}'`),
  ],
];

/** Converts anything thrown while running a command into a MongoCommandError (mingo throws plain Errors). */
export function asCommandError(err: unknown): MongoCommandError {
  if (err instanceof MongoCommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  for (const [pattern, make] of MINGO_ERRORS) {
    const m = pattern.exec(message);
    if (m) return make(m);
  }
  return new MongoCommandError(ErrorCode.BadValue, message);
}

/** The `{ok: 0, errmsg, code, codeName}` reply for anything thrown by a command. */
export function errorReply(err: unknown): Record<string, unknown> {
  const e = asCommandError(err);
  const reply: Record<string, unknown> = { ok: 0, errmsg: e.message, code: e.code, codeName: e.codeName, ...e.extra };
  if (e.errorLabels.length) reply.errorLabels = e.errorLabels;
  return reply;
}
