import { ErrorCode, MongoCommandError } from '../errors.js';
import { isPlainObject, type Doc } from '../paths.js';

/**
 * mongod's `failCommand` fail point, a test command (`configureFailPoint`, present only with
 * `enableTestCommands`, as in mongod): the next matching commands fail with an error, report a write concern
 * error, wait, or have their connection closed. Drivers' specification tests use it to exercise retries.
 */
export interface FailCommandAction {
  errorCode?: number;
  errorLabels?: string[];
  closeConnection: boolean;
  writeConcernError?: Doc;
  blockTimeMS: number;
}

interface FailCommand extends FailCommandAction {
  /** Activations left (`Infinity` for alwaysOn); `skip` matching commands pass first. */
  times: number;
  skip: number;
  commands: Set<string>;
  appName?: string;
}

/** Codes for which mongod labels a failed retryable write RetryableWriteError (unless the fail point names labels). */
const RETRYABLE_CODES = new Set([6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

function badFailPoint(message: string): MongoCommandError {
  return new MongoCommandError(ErrorCode.BadValue, message);
}

/**
 * mongod's `onPrimaryTransactionalWrite`: each statement of a retryable write (outside transactions) it catches
 * closes the connection (unless `closeConnection: false`) after the statement is applied, or instead of applying
 * it when `failBeforeCommitExceptionCode` is set, so the driver retries a command that is partly done.
 */
export interface TransactionalWriteAction {
  closeConnection: boolean;
  failBeforeCommitExceptionCode?: number;
}

interface Activations {
  times: number;
  skip: number;
}

function parseMode(mode: unknown): Activations {
  if (isPlainObject(mode) && typeof mode.times === 'number' && mode.times > 0) return { times: mode.times, skip: 0 };
  if (isPlainObject(mode) && typeof mode.skip === 'number' && mode.skip >= 0)
    return { times: Infinity, skip: mode.skip };
  if (mode === 'alwaysOn') return { times: Infinity, skip: 0 };
  throw badFailPoint("'mode' must be 'off', 'alwaysOn', {times: n} or {skip: n}");
}

/** Consumes one activation: false while skipping, true (and one time fewer) when the fail point fires. */
function fires(a: Activations): boolean {
  if (a.skip > 0) {
    a.skip--;
    return false;
  }
  a.times--;
  return true;
}

export class FailPoints {
  private failCommand: FailCommand | undefined;
  private transactionalWrite: (TransactionalWriteAction & Activations) | undefined;
  private activations = 0;

  /** The `configureFailPoint` command. */
  configure(cmd: Doc): Doc {
    if (cmd.configureFailPoint === 'onPrimaryTransactionalWrite') return this.configureTransactionalWrite(cmd);
    if (cmd.configureFailPoint !== 'failCommand')
      throw badFailPoint(`No failpoint named '${String(cmd.configureFailPoint)}'`);
    const previous = this.activations;
    const mode = cmd.mode;
    if (mode === 'off') {
      this.failCommand = undefined;
      return { count: previous, ok: 1 };
    }
    const { times, skip } = parseMode(mode);
    const data = cmd.data;
    if (
      !isPlainObject(data) ||
      !Array.isArray(data.failCommands) ||
      !data.failCommands.every((c) => typeof c === 'string')
    )
      throw badFailPoint('failCommand needs data.failCommands, an array of command names');
    this.failCommand = {
      times,
      skip,
      commands: new Set(data.failCommands),
      appName: typeof data.appName === 'string' ? data.appName : undefined,
      errorCode: typeof data.errorCode === 'number' ? data.errorCode : undefined,
      errorLabels: Array.isArray(data.errorLabels) ? data.errorLabels.map(String) : undefined,
      closeConnection: data.closeConnection === true,
      writeConcernError: isPlainObject(data.writeConcernError) ? data.writeConcernError : undefined,
      blockTimeMS: data.blockConnection === true && typeof data.blockTimeMS === 'number' ? data.blockTimeMS : 0,
    };
    this.activations = 0;
    return { count: previous, ok: 1 };
  }

  private configureTransactionalWrite(cmd: Doc): Doc {
    if (cmd.mode === 'off') {
      this.transactionalWrite = undefined;
      return { count: 0, ok: 1 };
    }
    const data = isPlainObject(cmd.data) ? cmd.data : {};
    const code = data.failBeforeCommitExceptionCode;
    this.transactionalWrite = {
      ...parseMode(cmd.mode),
      closeConnection: data.closeConnection !== false,
      failBeforeCommitExceptionCode: typeof code === 'number' ? code : undefined,
    };
    return { count: 0, ok: 1 };
  }

  /** What the fail point does to this command, if it applies (consuming one activation). */
  take(name: string, appName: string | undefined): FailCommandAction | undefined {
    const fp = this.failCommand;
    if (!fp || !fp.commands.has(name) || (fp.appName !== undefined && fp.appName !== appName)) return undefined;
    if (!fires(fp)) return undefined;
    if (fp.times <= 0) this.failCommand = undefined;
    this.activations++;
    return fp;
  }

  /** Whether `onPrimaryTransactionalWrite` is set (retryable writes then run one statement at a time). */
  get catchesTransactionalWrites(): boolean {
    return this.transactionalWrite !== undefined;
  }

  /** What `onPrimaryTransactionalWrite` does to the next statement of a retryable write, if it fires. */
  takeTransactionalWrite(): TransactionalWriteAction | undefined {
    const fp = this.transactionalWrite;
    if (!fp || !fires(fp)) return undefined;
    if (fp.times <= 0) this.transactionalWrite = undefined;
    return fp;
  }
}

/** Codes on which mongod calls an error in a transaction transient (besides the retryable ones outside commit). */
const TRANSIENT_CODES = new Set([
  ErrorCode.WriteConflict,
  24, // LockTimeout
  267, // PreparedTransactionInProgress
  ErrorCode.SnapshotTooOld,
  246, // SnapshotUnavailable
  249, // StaleDbVersion
]);

/**
 * The labels mongod's ErrorLabelBuilder puts on a reply the fail point spoils, unless the fail point names its
 * own: RetryableWriteError when a retryable write (a txnNumber without autocommit) or a commitTransaction /
 * abortTransaction fails with, or reports a write concern error of, a retryable code; TransientTransactionError
 * when a statement of a transaction fails with a transient code, a retryable one, or NoSuchTransaction (on commit
 * or abort only NoSuchTransaction without a write concern error, and not a retryable code).
 */
function failPointLabels(action: FailCommandAction, name: string, cmd: Doc, code?: number, wcCode?: number): string[] {
  if (action.errorLabels) return action.errorLabels;
  const labels: string[] = [];
  const hasTxnNumber = cmd.txnNumber !== undefined;
  const commitOrAbort = name === 'commitTransaction' || name === 'abortTransaction';
  const retryable = (c: number | undefined): boolean => c !== undefined && RETRYABLE_CODES.has(c);
  if (hasTxnNumber && (cmd.autocommit === undefined || commitOrAbort) && (retryable(code) || retryable(wcCode)))
    labels.push('RetryableWriteError');
  if (code !== undefined && hasTxnNumber && cmd.autocommit !== undefined) {
    const transient =
      TRANSIENT_CODES.has(code) ||
      (commitOrAbort
        ? code === ErrorCode.NoSuchTransaction && wcCode === undefined
        : retryable(code) || code === ErrorCode.NoSuchTransaction);
    if (transient) labels.push('TransientTransactionError');
  }
  return labels;
}

/** The error a fail point makes a command fail with, labelled as mongod labels it. */
export function failPointError(action: FailCommandAction, name: string, cmd: Doc): MongoCommandError {
  const code = action.errorCode ?? ErrorCode.InternalError;
  const labels = failPointLabels(action, name, cmd, code);
  return new MongoCommandError(code, "Failing command via 'failCommand' failpoint", {}, labels);
}

/**
 * Adds the fail point's writeConcernError to a reply the command produced, with the labels mongod gives it (a
 * driver retries a write whose reply carries RetryableWriteError, so a retryable write concern error must be
 * labelled: since 4.4 drivers take the label from the server instead of judging the code).
 */
export function addFailPointWriteConcernError(reply: Doc, action: FailCommandAction, name: string, cmd: Doc): void {
  const wce = action.writeConcernError;
  if (!wce) return;
  reply.writeConcernError = wce;
  const wcCode = typeof wce.code === 'number' ? wce.code : ErrorCode.InternalError;
  const labels = failPointLabels(action, name, cmd, undefined, wcCode);
  if (labels.length > 0) reply.errorLabels = labels;
}
