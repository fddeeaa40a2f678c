import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  AbstractCursor,
  BSON,
  GridFSBucket,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type ClientSession,
  type Collection,
  type CommandFailedEvent,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Db,
  type Document,
} from 'mongodb';
import { parse as parseYaml } from 'yaml';
import { bucketOperation, createBucket } from './unified-gridfs.js';

/**
 * A runner for files in the driver specifications' unified test format (schema 1.x), as far as the features a
 * single-node replica set without auth can answer: entities (client, database, collection, session, cursor),
 * initialData, the CRUD, index, collection, database and session operations the Node driver offers, GridFS buckets
 * (unified-gridfs.ts), the test runner's assertions and fail points, expectResult/expectError/expectEvents with the
 * special $$ operators, and outcome. Anything else (CSFLE, change streams, CMAP events, load balancers) makes the test skipped with
 * its reason, never passed. Files are read from the paths given at run time; none are kept in the repository.
 */

export const SERVER_VERSION = [7, 0, 0];

type Doc = Record<string, unknown>;
export class Skip extends Error {}

export interface UnifiedFile {
  description: string;
  schemaVersion: string;
  runOnRequirements?: Doc[];
  createEntities?: Doc[];
  initialData?: { collectionName: string; databaseName: string; documents: Doc[]; createOptions?: Doc }[];
  tests: UnifiedTest[];
}
export interface UnifiedTest {
  description: string;
  runOnRequirements?: Doc[];
  skipReason?: string;
  operations: Operation[];
  expectEvents?: { client: string; eventType?: string; events: Doc[]; ignoreExtraEvents?: boolean }[];
  outcome?: { collectionName: string; databaseName: string; documents: Doc[] }[];
}
interface Operation {
  name: string;
  object: string;
  arguments?: Doc;
  expectError?: Doc;
  expectResult?: unknown;
  saveResultAsEntity?: string;
  ignoreResultAndError?: boolean;
}

/** Every .json/.yml file under the given paths (files or directories), sorted. */
export function specFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(join(p, name));
    } else if (/\.(json|ya?ml)$/.test(p)) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

export function loadSpecFile(path: string): UnifiedFile {
  const text = readFileSync(path, 'utf8');
  const raw: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  return BSON.EJSON.deserialize(raw as Document, { relaxed: true }) as UnifiedFile;
}

function versionParts(v: string): number[] {
  return v.split('.').map((x) => Number(x));
}
function compareVersion(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Why the requirements are unmet by a 7.0 single-node replica set without auth, or undefined if they are met. */
export function unmetRequirements(reqs: Doc[] | undefined): string | undefined {
  // A file that breaks the schema (a draft's runOnRequirements object) is skipped, not allowed to stop the run.
  if (reqs !== undefined && !Array.isArray(reqs)) return 'runOnRequirements is not an array';
  if (!reqs || reqs.length === 0) return undefined;
  const why: string[] = [];
  for (const r of reqs) {
    const fails: string[] = [];
    if (typeof r.minServerVersion === 'string' && compareVersion(SERVER_VERSION, versionParts(r.minServerVersion)) < 0)
      fails.push(`minServerVersion ${r.minServerVersion}`);
    if (typeof r.maxServerVersion === 'string' && compareVersion(SERVER_VERSION, versionParts(r.maxServerVersion)) > 0)
      fails.push(`maxServerVersion ${r.maxServerVersion}`);
    if (Array.isArray(r.topologies) && !r.topologies.includes('replicaset')) fails.push('topology');
    if (r.serverless === 'require') fails.push('serverless');
    if (r.auth === true) fails.push('auth');
    if (r.csfle === true) fails.push('csfle');
    if (r.serverParameters) fails.push('serverParameters');
    if (fails.length === 0) return undefined;
    why.push(fails.join(', '));
  }
  return why.join(' | ');
}

/**
 * Why the Node driver (7.x) cannot run a test whatever the server, from what the test asks of it (older versions
 * of some specification files expect what drivers did before a spec change), or undefined.
 */
export function driverCannotRun(test: UnifiedTest): string | undefined {
  const text = JSON.stringify(test);
  if (text.includes('"$collStats"'))
    return 'the Node driver runs estimatedDocumentCount as the count command (the spec since 2022), not $collStats';
  const models = test.operations.flatMap((op) => {
    const args = op.arguments ?? {};
    return op.name === 'bulkWrite' && Array.isArray(args.requests)
      ? (args.requests as Doc[]).flatMap((r) => Object.values(r) as Doc[])
      : [];
  });
  const updates = test.operations
    .filter((op) => op.name === 'updateOne' || op.name === 'updateMany')
    .map((op) => op.arguments ?? {})
    .concat(models);
  if (updates.some((m) => isPlainDoc(m.update) && !Object.keys(m.update).some((k) => k.startsWith('$'))))
    return 'the Node driver refuses an update document without update operators before it sends it';
  if (models.some((m) => 'let' in m)) return 'the Node driver sends no let of a single bulkWrite model';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------- matching

const TYPE_NAMES: Record<string, (v: unknown) => boolean> = {
  double: (v) => typeof v === 'number' || v instanceof BSON.Double,
  string: (v) => typeof v === 'string',
  object: (v) => isPlainDoc(v),
  array: (v) => Array.isArray(v),
  binData: (v) => v instanceof BSON.Binary,
  objectId: (v) => v instanceof BSON.ObjectId,
  bool: (v) => typeof v === 'boolean',
  date: (v) => v instanceof Date,
  null: (v) => v === null,
  regex: (v) => v instanceof RegExp || v instanceof BSON.BSONRegExp,
  // The engine keeps numbers as JS numbers (README: known divergences), so every numeric type name is a number.
  int: (v) => typeof v === 'number' || v instanceof BSON.Int32,
  long: (v) => typeof v === 'number' || typeof v === 'bigint' || v instanceof BSON.Long,
  decimal: (v) => v instanceof BSON.Decimal128,
  timestamp: (v) => v instanceof BSON.Timestamp,
  number: (v) => typeof v === 'number' || v instanceof BSON.Long || v instanceof BSON.Int32,
};

function isPlainDoc(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  if (v instanceof Date || v instanceof RegExp) return false;
  return !('_bsontype' in v);
}

function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof BSON.Long || v instanceof BSON.Int32 || v instanceof BSON.Double) return Number(v.valueOf());
  return undefined;
}

export class Mismatch extends Error {}

export interface MatchContext {
  entity(name: string): unknown;
}

/**
 * Unified-format match of `actual` against `expected` at `path`; throws a Mismatch naming the path. A root-level
 * document may hold fields the expected one lacks; with `extraAnywhere` so may every nested one (the command and
 * reply documents of events: drivers add fields of their own, e.g. `multi: true` in an updateMany statement, and
 * the Node driver's runner checks them so).
 */
export function match(
  expected: unknown,
  actual: unknown,
  ctx: MatchContext,
  path = '',
  root = true,
  extraAnywhere = false,
): void {
  // The driver sends some documents it builds (a find's sort) as a Map, which BSON serializes as a document.
  if (actual instanceof Map) actual = Object.fromEntries(actual as Map<string, unknown>);
  const fail = (why: string): never => {
    throw new Mismatch(`${path || '(root)'}: ${why}; expected ${show(expected)}, actual ${show(actual)}`);
  };
  if (isPlainDoc(expected)) {
    const keys = Object.keys(expected);
    if (keys.length === 1 && keys[0].startsWith('$$')) {
      operatorMatch(keys[0], expected[keys[0]], actual, ctx, path, fail, extraAnywhere);
      return;
    }
    if (!isPlainDoc(actual)) fail('not a document');
    const act = actual as Doc;
    for (const k of keys) {
      const e = expected[k];
      if (isPlainDoc(e) && Object.keys(e).length === 1 && '$$exists' in e) {
        if ((k in act && act[k] !== undefined) !== e.$$exists) fail(`$$exists ${String(e.$$exists)} for ${k}`);
        continue;
      }
      if (isPlainDoc(e) && '$$unsetOrMatches' in e && !(k in act && act[k] !== undefined)) continue;
      if (!(k in act) || act[k] === undefined) fail(`missing field ${k}`);
      match(e, act[k], ctx, `${path}.${k}`, false, extraAnywhere);
    }
    if (!root && !extraAnywhere) {
      const extra = Object.keys(act).filter((k) => act[k] !== undefined && !keys.includes(k));
      if (extra.length > 0) fail(`extra fields ${extra.join(',')}`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) fail('not an array');
    const act = actual as unknown[];
    if (act.length !== expected.length) fail(`length ${act.length} instead of ${expected.length}`);
    expected.forEach((e, i) => match(e, act[i], ctx, `${path}[${i}]`, root && isPlainDoc(e), extraAnywhere));
    return;
  }
  const en = numeric(expected);
  const an = numeric(actual);
  if (en !== undefined || an !== undefined) {
    if (en !== an && !(Number.isNaN(en) && Number.isNaN(an))) fail('numbers differ');
    return;
  }
  if (expected instanceof Date) {
    if (!(actual instanceof Date) || actual.getTime() !== expected.getTime()) fail('dates differ');
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (BSON.EJSON.stringify(expected) !== BSON.EJSON.stringify(actual)) fail('values differ');
    return;
  }
  if (expected !== actual) fail('values differ');
}

function operatorMatch(
  op: string,
  arg: unknown,
  actual: unknown,
  ctx: MatchContext,
  path: string,
  fail: (why: string) => never,
  extraAnywhere: boolean,
): void {
  switch (op) {
    case '$$exists':
      if ((actual !== undefined) !== arg) fail('$$exists');
      return;
    case '$$type': {
      const names = Array.isArray(arg) ? (arg as string[]) : [arg as string];
      if (!names.some((n) => TYPE_NAMES[n]?.(actual))) fail(`not of type ${names.join('|')}`);
      return;
    }
    case '$$unsetOrMatches':
      if (actual === undefined) return;
      match(arg, actual, ctx, path, true, extraAnywhere);
      return;
    case '$$matchesEntity':
      match(ctx.entity(arg as string), actual, ctx, path, true);
      return;
    case '$$sessionLsid': {
      const session = ctx.entity(arg as string) as ClientSession;
      match(session.id, actual, ctx, path, false);
      return;
    }
    case '$$lte': {
      const a = numeric(actual);
      if (a === undefined || a > (numeric(arg) ?? NaN)) fail('$$lte');
      return;
    }
    case '$$matchAsDocument':
      match(arg, typeof actual === 'string' ? JSON.parse(actual) : actual, ctx, path, false);
      return;
    case '$$matchAsRoot':
      match(arg, actual, ctx, path, true);
      return;
    case '$$matchesHexBytes':
      if (!(actual instanceof BSON.Binary) || Buffer.from(actual.buffer).toString('hex') !== String(arg).toLowerCase())
        fail('$$matchesHexBytes');
      return;
    default:
      throw new Skip(`special operator ${op}`);
  }
}

function show(v: unknown): string {
  try {
    const s = BSON.EJSON.stringify(v, { relaxed: true });
    return s.length > 400 ? `${s.slice(0, 400)}…` : s;
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------------- entities

interface ClientEntity {
  client: MongoClient;
  events: (CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent)[];
  observe: Set<string>;
  ignore: Set<string>;
}

const SENSITIVE = new Set(['hello', 'ismaster', 'saslstart', 'saslcontinue', 'getnonce', 'authenticate']);

export class UnifiedRun implements MatchContext {
  private entities = new Map<string, unknown>();
  private clients: ClientEntity[] = [];
  private failPoints: { client: MongoClient; name: string }[] = [];

  constructor(private readonly uri: string) {}

  entity(name: string): unknown {
    if (!this.entities.has(name)) throw new Error(`no entity ${name}`);
    return this.entities.get(name);
  }

  async createEntities(list: Doc[] | undefined): Promise<void> {
    for (const wrapped of list ?? []) {
      const [kind, spec] = Object.entries(wrapped)[0] as [string, Doc];
      const id = spec.id as string;
      switch (kind) {
        case 'client': {
          const url = new URL(this.uri);
          for (const [k, v] of Object.entries((spec.uriOptions as Doc | undefined) ?? {})) {
            if (isPlainDoc(v)) throw new Skip(`uriOption ${k}`);
            url.searchParams.set(k, String(v));
          }
          const api = spec.serverApi as Doc | undefined;
          const client = new MongoClient(url.toString(), {
            monitorCommands: true,
            serverSelectionTimeoutMS: 5000,
            ...(api && {
              serverApi: {
                version: api.version as '1',
                strict: api.strict as boolean | undefined,
                deprecationErrors: api.deprecationErrors as boolean | undefined,
              },
            }),
          });
          const entity: ClientEntity = {
            client,
            events: [],
            observe: new Set((spec.observeEvents as string[] | undefined) ?? []),
            ignore: new Set(
              ((spec.ignoreCommandMonitoringEvents as string[] | undefined) ?? []).concat('configureFailPoint'),
            ),
          };
          const keep = (type: string) => (e: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent) => {
            if (!entity.observe.has(type) || entity.ignore.has(e.commandName)) return;
            if (SENSITIVE.has(e.commandName.toLowerCase())) return;
            entity.events.push(e);
          };
          client.on('commandStarted', keep('commandStartedEvent'));
          client.on('commandSucceeded', keep('commandSucceededEvent'));
          client.on('commandFailed', keep('commandFailedEvent'));
          for (const k of Object.keys(spec)) {
            if (['storeEventsAsEntities', 'autoEncryptOpts'].includes(k)) throw new Skip(`client ${k}`);
          }
          if ([...entity.observe].some((t) => !t.startsWith('command'))) {
            entity.observe = new Set([...entity.observe].filter((t) => t.startsWith('command')));
          }
          await client.connect();
          this.clients.push(entity);
          this.entities.set(id, entity);
          break;
        }
        case 'database': {
          const client = this.entity(spec.client as string) as ClientEntity;
          this.entities.set(id, client.client.db(spec.databaseName as string, (spec.databaseOptions as Doc) ?? {}));
          break;
        }
        case 'collection': {
          const db = this.entity(spec.database as string) as Db;
          this.entities.set(id, db.collection(spec.collectionName as string, (spec.collectionOptions as Doc) ?? {}));
          break;
        }
        case 'bucket':
          this.entities.set(id, createBucket(this.entity(spec.database as string) as Db, spec.bucketOptions as Doc));
          break;
        case 'session': {
          const client = this.entity(spec.client as string) as ClientEntity;
          this.entities.set(id, client.client.startSession((spec.sessionOptions as Doc) ?? {}));
          break;
        }
        default:
          throw new Skip(`entity ${kind}`);
      }
    }
  }

  async initialData(data: UnifiedFile['initialData']): Promise<void> {
    if (!data) return;
    const admin = new MongoClient(this.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      for (const d of data) {
        const db = admin.db(d.databaseName);
        await db
          .collection(d.collectionName)
          .drop({ writeConcern: { w: 'majority' } })
          .catch(() => undefined);
        if (d.createOptions || d.documents.length === 0) {
          await db.createCollection(d.collectionName, { ...(d.createOptions ?? {}), writeConcern: { w: 'majority' } });
        }
        if (d.documents.length > 0) {
          await db.collection(d.collectionName).insertMany(d.documents, { writeConcern: { w: 'majority' } });
        }
      }
    } finally {
      await admin.close();
    }
  }

  async runTest(file: UnifiedFile, test: UnifiedTest): Promise<void> {
    for (const c of this.clients) c.events.length = 0;
    for (const op of test.operations) await this.runOperation(op);
    for (const exp of test.expectEvents ?? []) {
      const entity = this.entity(exp.client) as ClientEntity;
      if (exp.eventType && exp.eventType !== 'command') throw new Skip(`eventType ${exp.eventType}`);
      const actual = entity.events;
      const expected = exp.events;
      if (exp.ignoreExtraEvents ? actual.length < expected.length : actual.length !== expected.length) {
        throw new Mismatch(
          `events of ${exp.client}: ${actual.length} instead of ${expected.length}: ${actual.map((e) => e.commandName).join(',')}`,
        );
      }
      expected.forEach((e, i) => this.matchEvent(e, actual[i], `events[${i}]`));
    }
    const check = new MongoClient(this.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      for (const o of test.outcome ?? []) {
        const docs = await check
          .db(o.databaseName)
          .collection(o.collectionName)
          // Values as stored: the driver's default would read a BSON symbol back as a string from any server.
          .find({}, { sort: { _id: 1 }, readConcern: { level: 'local' }, promoteValues: false })
          .toArray();
        match(o.documents, docs, this, `outcome ${o.collectionName}`, false);
      }
    } finally {
      await check.close();
    }
    void file;
  }

  private matchEvent(expected: Doc, actual: unknown, path: string): void {
    const [type, body] = Object.entries(expected)[0] as [string, Doc];
    const a = actual as Doc & { commandName: string };
    const kinds: Record<string, string> = {
      commandStartedEvent: 'CommandStartedEvent',
      commandSucceededEvent: 'CommandSucceededEvent',
      commandFailedEvent: 'CommandFailedEvent',
    };
    if (a.constructor.name !== kinds[type])
      throw new Mismatch(`${path}: ${a.constructor.name} (${a.commandName}) instead of ${type}`);
    for (const [k, v] of Object.entries(body)) {
      if (k === 'command') match(v, a.command, this, `${path}.command`, true, true);
      else if (k === 'reply') match(v, a.reply, this, `${path}.reply`, true, true);
      else if (k === 'commandName' || k === 'databaseName') match(v, a[k], this, `${path}.${k}`);
      else if (k === 'hasServiceId' || k === 'hasServerConnectionId') continue;
      else throw new Skip(`event field ${k}`);
    }
  }

  private async runOperation(op: Operation): Promise<void> {
    let result: unknown;
    let error: unknown;
    try {
      result = await this.execute(op);
    } catch (err) {
      if (err instanceof Skip || err instanceof Mismatch) throw err;
      error = err;
    }
    if (op.ignoreResultAndError) return;
    if (op.expectError) {
      if (error === undefined) throw new Mismatch(`${op.name}: expected an error, got ${show(result)}`);
      this.matchError(op.expectError, error, op.name);
      return;
    }
    if (error !== undefined) throw error instanceof Error ? error : new Error(show(error));
    if (op.saveResultAsEntity) this.entities.set(op.saveResultAsEntity, result);
    if (op.expectResult !== undefined) match(op.expectResult, result, this, op.name, true);
  }

  private matchError(exp: Doc, err: unknown, name: string): void {
    const e = err as MongoServerError & { errorResponse?: Doc };
    const isServer = err instanceof MongoServerError;
    const fail = (why: string): never => {
      throw new Mismatch(
        `${name}: error ${why}; got ${e?.constructor?.name} ${String(e?.code)} ${e?.codeName ?? ''} ${e?.message}`,
      );
    };
    if (exp.isClientError === true && isServer) fail('should be a client error');
    if (exp.isClientError === false && !isServer) fail('should be a server error');
    if (exp.isTimeoutError) throw new Skip('isTimeoutError');
    if (
      typeof exp.errorContains === 'string' &&
      !String(e.message).toLowerCase().includes(exp.errorContains.toLowerCase())
    )
      fail(`should contain "${exp.errorContains}"`);
    if (exp.errorCode !== undefined && e.code !== exp.errorCode) fail(`code should be ${show(exp.errorCode)}`);
    if (exp.errorCodeName !== undefined && e.codeName !== exp.errorCodeName)
      fail(`codeName should be ${show(exp.errorCodeName)}`);
    for (const l of (exp.errorLabelsContain as string[] | undefined) ?? [])
      if (!e.hasErrorLabel?.(l)) fail(`should have label ${l}`);
    for (const l of (exp.errorLabelsOmit as string[] | undefined) ?? [])
      if (e.hasErrorLabel?.(l)) fail(`should not have label ${l}`);
    if (exp.errorResponse !== undefined) match(exp.errorResponse, e.errorResponse, this, `${name}.errorResponse`, true);
    if (exp.expectResult !== undefined) {
      const partial = err instanceof MongoBulkWriteError ? err.result : undefined;
      match(exp.expectResult, partial, this, `${name}.expectResult`, true);
    }
    if (exp.writeErrors !== undefined || exp.writeConcernErrors !== undefined)
      throw new Skip('client bulkWrite errors');
  }

  private async execute(op: Operation): Promise<unknown> {
    const args: Doc = { ...(op.arguments ?? {}) };
    if (typeof args.session === 'string') args.session = this.entity(args.session);
    if (op.object === 'testRunner') return this.runnerOperation(op.name, args);
    const target = this.entity(op.object);
    if (target instanceof AbstractCursor) return this.cursorOperation(op.name, target as AbstractCursor<Document>);
    if (isClientEntity(target)) return this.clientOperation(op.name, target.client, args);
    if (target instanceof MongoClient) return this.clientOperation(op.name, target, args);
    if (isSession(target)) return this.sessionOperation(op.name, target, args);
    if (target instanceof GridFSBucket) return bucketOperation(op.name, target, args);
    if (isCollection(target)) return this.collectionOperation(op.name, target, args);
    return this.databaseOperation(op.name, target as Db, args);
  }

  private async runnerOperation(name: string, args: Doc): Promise<unknown> {
    const admin = (): MongoClient => new MongoClient(this.uri, { serverSelectionTimeoutMS: 5000 });
    switch (name) {
      case 'failPoint':
      case 'targetedFailPoint': {
        const client =
          name === 'failPoint'
            ? (this.entity(args.client as string) as ClientEntity).client
            : (args.session as { client: MongoClient }).client;
        const fp = args.failPoint as Doc;
        await client.db('admin').command(fp);
        this.failPoints.push({ client, name: fp.configureFailPoint as string });
        return undefined;
      }
      case 'assertCollectionExists':
      case 'assertCollectionNotExists': {
        const c = admin();
        try {
          const names = await c
            .db(args.databaseName as string)
            .listCollections({}, { nameOnly: true })
            .toArray();
          const has = names.some((n) => n.name === args.collectionName);
          if (has !== (name === 'assertCollectionExists')) throw new Mismatch(`${name} ${String(args.collectionName)}`);
        } finally {
          await c.close();
        }
        return undefined;
      }
      case 'assertIndexExists':
      case 'assertIndexNotExists': {
        const c = admin();
        try {
          const idx = await c
            .db(args.databaseName as string)
            .collection(args.collectionName as string)
            .listIndexes()
            .toArray()
            .catch(() => [] as Document[]);
          const has = idx.some((i: Document) => i.name === args.indexName);
          if (has !== (name === 'assertIndexExists')) throw new Mismatch(`${name} ${String(args.indexName)}`);
        } finally {
          await c.close();
        }
        return undefined;
      }
      case 'assertSessionTransactionState': {
        const s = args.session as ClientSession & { transaction: { state: string } };
        const state = s.transaction.state.replace(/^TRANSACTION_/, '').toLowerCase();
        const map: Record<string, string> = {
          no_transaction: 'none',
          starting: 'starting',
          in_progress: 'in_progress',
          committed: 'committed',
          committed_empty: 'committed',
          aborted: 'aborted',
        };
        if ((map[state] ?? state) !== args.state)
          throw new Mismatch(`transaction state ${state} instead of ${String(args.state)}`);
        return undefined;
      }
      case 'assertSessionPinned':
      case 'assertSessionUnpinned':
      case 'assertNumberConnectionsCheckedOut':
        return undefined;
      case 'assertSameLsidOnLastTwoCommands':
      case 'assertDifferentLsidOnLastTwoCommands': {
        const events = (this.entity(args.client as string) as ClientEntity).events.filter(
          (e): e is CommandStartedEvent => 'command' in e,
        );
        const [a, b] = events.slice(-2).map((e) => BSON.EJSON.stringify(e.command.lsid as Document));
        if ((a === b) !== (name === 'assertSameLsidOnLastTwoCommands')) throw new Mismatch(name);
        return undefined;
      }
      case 'assertSessionDirty':
      case 'assertSessionNotDirty': {
        const s = args.session as ClientSession;
        const dirty = s.serverSession?.isDirty ?? false;
        if (dirty !== (name === 'assertSessionDirty')) throw new Mismatch(name);
        return undefined;
      }
      case 'createEntities':
        await this.createEntities(args.entities as Doc[]);
        return undefined;
      default:
        throw new Skip(`testRunner ${name}`);
    }
  }

  private async cursorOperation(name: string, cursor: AbstractCursor<Document>): Promise<unknown> {
    switch (name) {
      case 'iterateUntilDocumentOrError':
        return cursor.next();
      case 'iterateOnce':
        return cursor.tryNext();
      case 'close':
        await cursor.close();
        return undefined;
      default:
        throw new Skip(`cursor ${name}`);
    }
  }

  private async clientOperation(name: string, client: MongoClient, args: Doc): Promise<unknown> {
    switch (name) {
      case 'listDatabases':
        return (await client.db('admin').admin().listDatabases(args)).databases;
      case 'listDatabaseNames':
        return (await client.db('admin').admin().listDatabases(args)).databases.map((d) => d.name);
      case 'close':
        await client.close();
        return undefined;
      default:
        throw new Skip(`client ${name}`);
    }
  }

  private async sessionOperation(name: string, s: ClientSession, args: Doc): Promise<unknown> {
    switch (name) {
      case 'startTransaction':
        s.startTransaction(args);
        return undefined;
      case 'commitTransaction':
        return s.commitTransaction();
      case 'abortTransaction':
        return s.abortTransaction();
      case 'endSession':
        await s.endSession();
        return undefined;
      case 'withTransaction': {
        const ops = args.callback as Operation[];
        const { callback: _cb, ...options } = args;
        return s.withTransaction(async () => {
          for (const o of ops) await this.runOperation(o);
        }, options);
      }
      default:
        throw new Skip(`session ${name}`);
    }
  }

  private async databaseOperation(name: string, db: Db, args: Doc): Promise<unknown> {
    const { collection, pipeline, filter, command, commandName: _n, ...opts } = args;
    switch (name) {
      case 'aggregate':
        return db.aggregate(pipeline as Document[], opts).toArray();
      case 'createCollection':
        await db.createCollection(collection as string, opts);
        return undefined;
      case 'dropCollection':
        return db.dropCollection(collection as string, opts);
      case 'listCollections':
        return db.listCollections((filter as Document) ?? {}, opts).toArray();
      case 'listCollectionNames':
        return (await db.listCollections((filter as Document) ?? {}, { ...opts, nameOnly: true }).toArray()).map(
          (c) => c.name,
        );
      case 'runCommand':
        return db.command(command as Document, opts);
      case 'runCursorCommand':
        return db.runCursorCommand(command as Document, opts).toArray();
      case 'createCommandCursor':
        return db.runCursorCommand(command as Document, opts);
      case 'modifyCollection':
        // The spec's modifyCollection is the collMod command; the Node driver has no helper for it.
        return db.command({ collMod: collection as string, ...opts });
      default:
        throw new Skip(`database ${name}`);
    }
  }

  private async collectionOperation(name: string, c: Collection, args: Doc): Promise<unknown> {
    const { filter, update, replacement, document, documents, pipeline, requests, fieldName, keys, ...rest } = args;
    const f = (filter as Document | undefined) ?? {};
    const opts: Doc = { ...rest };
    if (typeof opts.returnDocument === 'string') opts.returnDocument = opts.returnDocument.toLowerCase();
    switch (name) {
      case 'find':
        return c.find(f, opts).toArray();
      case 'createFindCursor':
        return c.find(f, opts);
      case 'findOne':
        return c.findOne(f, opts);
      case 'aggregate':
        return c.aggregate(pipeline as Document[], opts).toArray();
      case 'countDocuments':
        return c.countDocuments(f, opts);
      case 'estimatedDocumentCount':
        return c.estimatedDocumentCount(opts);
      case 'distinct':
        return c.distinct(fieldName as string, f, opts);
      case 'insertOne':
        // The spec's InsertOneResult counts the document; the Node driver's has no count.
        return { insertedCount: 1, ...(await c.insertOne(document as Document, opts)) };
      case 'insertMany':
        return c.insertMany(documents as Document[], opts);
      case 'deleteOne':
        return c.deleteOne(f, opts);
      case 'deleteMany':
        return c.deleteMany(f, opts);
      case 'replaceOne':
        return c.replaceOne(f, replacement as Document, opts);
      case 'updateOne':
        return c.updateOne(f, update as Document, opts);
      case 'updateMany':
        return c.updateMany(f, update as Document, opts);
      case 'findOneAndDelete':
        return c.findOneAndDelete(f, opts);
      case 'findOneAndReplace':
        return c.findOneAndReplace(f, replacement as Document, opts);
      case 'findOneAndUpdate':
        return c.findOneAndUpdate(f, update as Document, opts);
      case 'bulkWrite':
        return c.bulkWrite(requests as never, opts);
      case 'createIndex':
        return c.createIndex(keys as Document, opts);
      case 'dropIndex':
        return c.dropIndex(opts.name as string, { ...opts, name: undefined } as Doc);
      case 'dropIndexes':
        return c.dropIndexes(opts);
      case 'listIndexes':
        return c.listIndexes(opts).toArray();
      case 'listIndexNames':
        return (await c.listIndexes(opts).toArray()).map((i: Document) => i.name as string);
      case 'rename':
        await c.rename(opts.to as string, { ...opts, to: undefined } as Doc);
        return undefined;
      case 'drop':
        return c.drop(opts);
      case 'createSearchIndexes':
        return c.createSearchIndexes(opts.indexDefinitions as never);
      case 'listSearchIndexes': {
        const options = (opts.options as Doc | undefined) ?? {};
        const cursor =
          typeof opts.indexName === 'string'
            ? c.listSearchIndexes(opts.indexName, options)
            : c.listSearchIndexes(options);
        return cursor.toArray();
      }
      default:
        throw new Skip(`collection ${name}`);
    }
  }

  async close(): Promise<void> {
    for (const fp of this.failPoints) {
      await fp.client
        .db('admin')
        .command({ configureFailPoint: fp.name, mode: 'off' })
        .catch(() => undefined);
    }
    for (const e of this.entities.values()) if (isSession(e)) await e.endSession().catch(() => undefined);
    for (const c of this.clients) await c.client.close().catch(() => undefined);
  }
}

function isClientEntity(v: unknown): v is ClientEntity {
  return typeof v === 'object' && v !== null && 'observe' in v && 'events' in v;
}
function isSession(v: unknown): v is ClientSession {
  return typeof v === 'object' && v !== null && 'withTransaction' in v && 'startTransaction' in v;
}
function isCollection(v: unknown): v is Collection {
  return typeof v === 'object' && v !== null && 'collectionName' in v && 'insertOne' in v;
}
