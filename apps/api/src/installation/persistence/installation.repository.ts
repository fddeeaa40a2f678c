import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { findLeanById, isObjectIdString, onDuplicateKey, paginate, sortFor } from '@app/database';
import { type Model, Types } from 'mongoose';
import {
  INSTALLATION_STATUSES,
  type Installation,
  type InstallationFilter,
  type InstallationOrdering,
  type InstallationStatus,
  type InstallationSummary,
  type InstallationTarget,
  type NewInstallation,
  type PermissionsChange,
  type RetainedSettings,
} from '../installation.entity.js';
import type { UsageDelta } from '../../metrics/metrics.entity.js';
import { PluginAlreadyInstalledError } from '../installation.errors.js';
import { InstallationDoc, RetainedSettingsDoc } from './installation.schema.js';
import {
  installationDoc,
  type InstallationLean,
  type RetainedLean,
  targetFields,
  toInstallation,
  toRetained,
} from './installation.mapper.js';

/**
 * Fields a lifecycle change may set (everything else changes through replace, inside an operation). `operationId:
 * null` releases it from the operation that wrote it (a one-step install settles and releases in one write).
 */
export type InstallationChanges = Partial<
  Pick<Installation, 'status' | 'enabled' | 'statusReason' | 'updateAvailable' | 'availableVersion'> & {
    operationId: null;
  }
>;

/** Conditions a conditional change checks, so two changes racing on one installation cannot both apply. */
export interface ChangeGuard {
  /** Only while it is in one of these statuses. */
  status?: InstallationStatus[];
  /** Only while no operation is writing it. */
  idle?: boolean;
}

const ORDERING_FIELDS = { plugin: 'plugin_key' } as const;

/** Repository → how many of its writes have settled (see `writes`). */
const settledWrites = new WeakMap<object, number>();

/** Marks a method that writes installations: `writes` counts it once its promise settles, failed or not. */
function writes(_target: object, _name: string, descriptor: PropertyDescriptor): void {
  const method = descriptor.value as (...args: unknown[]) => Promise<unknown>;
  descriptor.value = async function (this: object, ...args: unknown[]): Promise<unknown> {
    try {
      return await method.apply(this, args);
    } finally {
      settledWrites.set(this, (settledWrites.get(this) ?? 0) + 1);
    }
  };
}

/**
 * The installations collection, and the settings retained by uninstalls that kept them. Every write to the
 * installations goes through here and is counted in `writes`, so a reader may keep what it read for as long as
 * the count has not moved (see InstallationsService.effectiveFor).
 */
@Injectable()
export class InstallationRepository {
  constructor(
    @InjectModel(InstallationDoc.name) private readonly installations: Model<InstallationDoc>,
    @InjectModel(RetainedSettingsDoc.name) private readonly retained: Model<RetainedSettingsDoc>,
  ) {}

  /** The writes to the installations this repository made, counted as each settles: what was read before may be stale. */
  get writes(): number {
    return settledWrites.get(this) ?? 0;
  }

  /** A fresh id, so an operation can name (and journal) an installation before writing it. */
  newId(): string {
    return new Types.ObjectId().toHexString();
  }

  /** PluginAlreadyInstalledError when the target has the plugin already (the unique index decides races). */
  @writes
  async insert(input: NewInstallation): Promise<void> {
    await onDuplicateKey(
      () => this.installations.insertMany([installationDoc(input)]),
      () => new PluginAlreadyInstalledError(input.pluginKey, '', ''),
    );
  }

  /** Writes the whole installation as given (an operation's replace step, or restoring a journal snapshot). */
  @writes
  async replace(installation: Installation): Promise<void> {
    const doc = { ...installationDoc(installation), updated_at: new Date() };
    await this.installations.replaceOne({ _id: doc._id }, doc, { upsert: true }).exec();
  }

  find(id: string): Promise<Installation | null> {
    return findLeanById(this.installations, id, toInstallation);
  }

  async findInTarget(pluginKey: string, target: InstallationTarget): Promise<Installation | null> {
    const doc = await this.installations
      .findOne({ plugin_key: pluginKey, target_key: targetFields(target).target_key })
      .lean<InstallationLean>()
      .exec();
    return doc ? toInstallation(doc) : null;
  }

  /** Everything installed in one target (what the resolver must keep satisfied). */
  async listInTarget(target: InstallationTarget): Promise<Installation[]> {
    const docs = await this.installations
      .find({ target_key: targetFields(target).target_key })
      .sort({ plugin_key: 1 })
      .lean<InstallationLean[]>()
      .exec();
    return docs.map(toInstallation);
  }

  /** Every installation in these targets (a user's effective set reads their own, their orgs' and global). */
  async listInTargets(targets: InstallationTarget[], pluginKey?: string): Promise<Installation[]> {
    const q: Record<string, unknown> = { target_key: { $in: targets.map((t) => targetFields(t).target_key) } };
    if (pluginKey !== undefined) q.plugin_key = pluginKey;
    const docs = await this.installations.find(q).sort({ plugin_key: 1, _id: 1 }).lean<InstallationLean[]>().exec();
    return docs.map(toInstallation);
  }

  async list(
    filter: InstallationFilter,
    ordering: InstallationOrdering,
    window: PageWindow,
  ): Promise<Slice<Installation>> {
    const slice = await paginate<InstallationDoc, InstallationLean>(
      this.installations,
      toQuery(filter),
      sortFor(ordering, ORDERING_FIELDS),
      window,
    );
    return { count: slice.count, items: slice.items.map(toInstallation) };
  }

  /**
   * Adds usage deltas (the metrics module's flushes, INSTALLATION_USAGE): `$inc` of the counters and the total
   * time, `$max` of last_used, last_error when the delta has one. Unknown installations match nothing. Telemetry is
   * not a change of the installation: `updated_at` (what configuration answers as its own) stays as it was.
   */
  @writes
  async addUsage(deltas: readonly UsageDelta[]): Promise<void> {
    const ops = deltas
      .filter((d) => isObjectIdString(d.installationId))
      .map((d) => ({
        updateOne: {
          filter: { _id: new Types.ObjectId(d.installationId) },
          update: {
            $inc: { execution_count: d.executions, error_count: d.errors, total_execution_time_ms: d.durationMs },
            $max: { last_used: d.lastUsed },
            ...(d.lastError ? { $set: { last_error: { message: d.lastError.message, at: d.lastError.at } } } : {}),
          },
          timestamps: false,
        },
      }));
    if (ops.length) await this.installations.bulkWrite(ops, { ordered: false });
  }

  /** Installations by status and their usage counters summed, in one pass over the collection. */
  async summary(): Promise<InstallationSummary> {
    const groups = await this.installations
      .aggregate<{ _id: InstallationStatus; n: number; executions: number; errors: number; time: number }>([
        {
          $group: {
            _id: '$status',
            n: { $sum: 1 },
            executions: { $sum: '$execution_count' },
            errors: { $sum: '$error_count' },
            time: { $sum: '$total_execution_time_ms' },
          },
        },
      ])
      .exec();
    const summary: InstallationSummary = {
      byStatus: Object.fromEntries(INSTALLATION_STATUSES.map((s) => [s, 0])) as InstallationSummary['byStatus'],
      executionCount: 0,
      errorCount: 0,
      totalExecutionTimeMs: 0,
    };
    for (const g of groups) {
      if (g._id in summary.byStatus) summary.byStatus[g._id] = g.n;
      summary.executionCount += g.executions;
      summary.errorCount += g.errors;
      summary.totalExecutionTimeMs += g.time;
    }
    return summary;
  }

  /** Installations of the plugins in `keys`, over every target. */
  async countByKeys(keys: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(keys.map((k) => [k, 0]));
    if (!keys.length) return counts;
    const docs = await this.installations
      .find({ plugin_key: { $in: [...keys] } }, { plugin_key: 1 })
      .lean<Array<Pick<InstallationLean, 'plugin_key'>>>()
      .exec();
    for (const d of docs) counts.set(d.plugin_key, (counts.get(d.plugin_key) ?? 0) + 1);
    return counts;
  }

  /** Installations of other plugins whose installed version depends on `key` (in `target`, or anywhere). */
  async dependentsOf(key: string, target?: InstallationTarget): Promise<Installation[]> {
    const q: Record<string, unknown> = { 'dependencies.key': key, plugin_key: { $ne: key } };
    if (target) q.target_key = targetFields(target).target_key;
    const docs = await this.installations.find(q).sort({ plugin_key: 1 }).lean<InstallationLean[]>().exec();
    return docs.map(toInstallation);
  }

  /** Installations whose desired state is on (boot and reload bring them back), oldest first. */
  async listEnabled(): Promise<Installation[]> {
    const docs = await this.installations
      .find({ enabled: true, operation_id: null })
      .sort({ installed_at: 1, _id: 1 })
      .lean<InstallationLean[]>()
      .exec();
    return docs.map(toInstallation);
  }

  /** The active installations granted `capability` (a plain grant), that no operation holds. */
  async listActiveGranted(capability: string): Promise<Installation[]> {
    const docs = await this.installations
      .find({ status: 'active', enabled: true, operation_id: null, grants: capability })
      .sort({ installed_at: 1, _id: 1 })
      .lean<InstallationLean[]>()
      .exec();
    return docs.map(toInstallation);
  }

  /** The organisations' and the instance's installations of these plugins with one of `statuses`. */
  async listBroaderWithStatus(pluginKeys: readonly string[], statuses: readonly InstallationStatus[]) {
    const docs = await this.installations
      .find({ status: { $in: statuses }, plugin_key: { $in: pluginKeys }, scope: { $in: ['org', 'global'] } })
      .lean<InstallationLean[]>()
      .exec();
    return docs.map(toInstallation);
  }

  /** Installations of one plugin over every target (kill switch, update availability). */
  async listByPlugin(pluginKey: string): Promise<Installation[]> {
    const docs = await this.installations.find({ plugin_key: pluginKey }).lean<InstallationLean[]>().exec();
    return docs.map(toInstallation);
  }

  /** Sets the update fields of every installation of `pluginKey` at `installedVersion` (null: none available). */
  @writes
  async setAvailableVersion(pluginKey: string, installedVersion: string, available: string | null): Promise<void> {
    await this.installations
      .updateMany(
        { plugin_key: pluginKey, installed_version: installedVersion },
        { $set: { update_available: available !== null, available_version: available } },
      )
      .exec();
  }

  /** Applies `changes` if the guard holds; the installation after, or null when it did not (or is gone). */
  @writes
  async update(id: string, changes: InstallationChanges, guard: ChangeGuard = {}): Promise<Installation | null> {
    if (!isObjectIdString(id)) return null;
    const q: Record<string, unknown> = { _id: new Types.ObjectId(id) };
    if (guard.status) q.status = { $in: guard.status };
    if (guard.idle) q.operation_id = null;
    const set: Record<string, unknown> = {};
    if (changes.status !== undefined) set.status = changes.status;
    if (changes.enabled !== undefined) set.enabled = changes.enabled;
    if (changes.statusReason !== undefined) set.status_reason = changes.statusReason;
    if (changes.updateAvailable !== undefined) set.update_available = changes.updateAvailable;
    if (changes.availableVersion !== undefined) set.available_version = changes.availableVersion;
    if (changes.operationId === null) set.operation_id = null;
    const doc = await this.installations
      .findOneAndUpdate(q, { $set: set }, { returnDocument: 'after' })
      .lean<InstallationLean>()
      .exec();
    return doc ? toInstallation(doc) : null;
  }

  /**
   * Writes the settings of an installation no operation is writing (the configuration module): plain values
   * replaced, `seal` secrets set (already sealed), `drop` secrets removed, in one update. The installation after,
   * or null when it is gone or an operation holds it.
   */
  @writes
  async writeSettings(
    id: string,
    change: { config: Record<string, unknown>; seal: Record<string, string>; drop: readonly string[] },
  ): Promise<Installation | null> {
    if (!isObjectIdString(id)) return null;
    const set: Record<string, unknown> = { config: change.config, updated_at: new Date() };
    for (const [key, sealed] of Object.entries(change.seal)) set[`secrets.${key}`] = sealed;
    const unset = Object.fromEntries(change.drop.map((key) => [`secrets.${key}`, '']));
    const doc = await this.installations
      .findOneAndUpdate(
        { _id: new Types.ObjectId(id), operation_id: null },
        change.drop.length ? { $set: set, $unset: unset } : { $set: set },
        { returnDocument: 'after' },
      )
      .lean<InstallationLean>()
      .exec();
    return doc ? toInstallation(doc) : null;
  }

  /**
   * Writes the grants, pending grants, limits and security level of an installation no operation is writing (the
   * permissions module), in one update. The installation after, or null when it is gone or an operation holds it.
   */
  @writes
  async writePermissions(id: string, change: PermissionsChange): Promise<Installation | null> {
    if (!isObjectIdString(id)) return null;
    const doc = await this.installations
      .findOneAndUpdate(
        { _id: new Types.ObjectId(id), operation_id: null },
        {
          $set: {
            grants: change.grants,
            pending_grants: change.pendingGrants,
            limits: change.limits,
            security_level: change.securityLevel,
            updated_at: new Date(),
          },
        },
        { returnDocument: 'after' },
      )
      .lean<InstallationLean>()
      .exec();
    return doc ? toInstallation(doc) : null;
  }

  /** Replaces the metadata of an installation no operation is writing; null when it is gone or held. */
  async writeMetadata(id: string, metadata: Record<string, unknown>): Promise<Installation | null> {
    if (!isObjectIdString(id)) return null;
    const doc = await this.installations
      .findOneAndUpdate(
        { _id: new Types.ObjectId(id), operation_id: null },
        { $set: { metadata, updated_at: new Date() } },
        { returnDocument: 'after' },
      )
      .lean<InstallationLean>()
      .exec();
    return doc ? toInstallation(doc) : null;
  }

  /** Hands every installation an operation wrote back to everyone (the commit). */
  @writes
  async releaseOperation(operationId: string): Promise<void> {
    await this.installations.updateMany({ operation_id: operationId }, { $set: { operation_id: null } }).exec();
  }

  /** Marks an idle installation as written by `operationId`; false when another operation holds it. */
  @writes
  async claimForOperation(id: string, operationId: string, status?: InstallationStatus): Promise<Installation | null> {
    const set: Record<string, unknown> = { operation_id: operationId };
    if (status) set.status = status;
    const doc = await this.installations
      .findOneAndUpdate({ _id: new Types.ObjectId(id), operation_id: null }, { $set: set }, { returnDocument: 'after' })
      .lean<InstallationLean>()
      .exec();
    return doc ? toInstallation(doc) : null;
  }

  /** Deletes the installation (only while `operationId` holds it, when given). */
  @writes
  async delete(id: string, operationId?: string): Promise<boolean> {
    const q: Record<string, unknown> = { _id: new Types.ObjectId(id) };
    if (operationId !== undefined) q.operation_id = operationId;
    const res = await this.installations.deleteOne(q).exec();
    return res.deletedCount === 1;
  }

  // ---- retained settings --------------------------------------------------------------------------------------

  async findRetained(pluginKey: string, target: InstallationTarget): Promise<RetainedSettings | null> {
    const doc = await this.retained
      .findOne({ plugin_key: pluginKey, target_key: targetFields(target).target_key })
      .lean<RetainedLean>()
      .exec();
    return doc ? toRetained(doc) : null;
  }

  /** Keeps the settings of an uninstalled installation (one set per plugin and target: the newest wins). */
  async retain(settings: RetainedSettings): Promise<void> {
    const { target_key } = targetFields(settings.target);
    await this.retained.deleteMany({ plugin_key: settings.pluginKey, target_key }).exec();
    await this.retained
      .replaceOne(
        { _id: new Types.ObjectId(settings.installationId) },
        {
          _id: new Types.ObjectId(settings.installationId),
          plugin_key: settings.pluginKey,
          target_key,
          config: settings.config,
          secrets: settings.secrets,
          retained_at: settings.retainedAt,
        },
        { upsert: true },
      )
      .exec();
  }

  async dropRetained(installationId: string): Promise<void> {
    await this.retained.deleteOne({ _id: new Types.ObjectId(installationId) }).exec();
  }
}

function toQuery(filter: InstallationFilter): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (filter.targets) q.target_key = { $in: filter.targets.map((t) => targetFields(t).target_key) };
  if (filter.pluginKey !== undefined) q.plugin_key = filter.pluginKey;
  if (filter.scope !== undefined) q.scope = filter.scope;
  if (filter.orgId !== undefined) {
    q.scope = 'org';
    q.target_id = filter.orgId;
  }
  if (filter.userId !== undefined) {
    // An installation is a user's or an organisation's, never both: asking for both matches nothing.
    if (filter.orgId !== undefined) return { _id: { $in: [] } };
    q.scope = 'user';
    q.target_id = filter.userId;
  }
  if (filter.status !== undefined) q.status = filter.status;
  if (filter.updateAvailable !== undefined) q.update_available = filter.updateAvailable;
  return q;
}
