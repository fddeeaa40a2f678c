import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { failedInsertIndex, onDuplicateKey } from '@app/database';
import type { Model } from 'mongoose';
import type {
  Artifact,
  LoadablePackage,
  NewVersion,
  PluginVersion,
  VersionChanges,
  VersionReviewState,
  VersionState,
  VersionStatus,
} from '../registry.entity.js';
import { VersionReusedError } from '../registry.errors.js';
import { RegistryWriteEpoch } from './registry-epoch.js';
import { PluginVersionDoc } from './plugin-version.schema.js';
import { toReviewState, toVersion, toVersionSet, type VersionLean } from './registry.mapper.js';

/** A stored Buffer as the driver hands it back (a Buffer, or a BSON Binary holding one). */
const bytesOf = (value: unknown): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from((value as { buffer: Uint8Array }).buffer);

/** Versions without their bytes: lists and details never load files or artifacts. */
const LIGHT_VERSION = { artifact: 0, 'files.content': 0 } as const;

/** The plugin_versions collection: immutable content, mutable review state, deprecation, yank and downloads. */
@Injectable()
export class PluginVersionRepository {
  /** Every write that changes a version moves the registry's write epoch (what installs resolve over is kept by it). */
  constructor(
    @InjectModel(PluginVersionDoc.name) private readonly versions: Model<PluginVersionDoc>,
    private readonly epoch: RegistryWriteEpoch,
  ) {}

  /**
   * VersionReusedError when key@version (build metadata aside) exists: versions are never reused.
   *
   * Mongoose visits every byte of a Buffer inside a subdocument array when it validates a new
   * document (about 3 s per megabyte, all on the event loop). So the version is cast and validated
   * without the file contents, which the service has built itself, and inserted whole by the driver.
   */
  async insert(input: NewVersion, at: Date): Promise<PluginVersion> {
    const lean = await this.stored(input, at);
    await onDuplicateKey(
      () => this.versions.collection.insertOne(lean),
      () => new VersionReusedError(input.key, input.version),
    );
    await this.epoch.written();
    return toVersion(lean);
  }

  /** Stores many versions at once, each exactly as `insert` would (a bulk import); VersionReusedError on a reuse. */
  async insertMany(entries: ReadonlyArray<{ input: NewVersion; at: Date }>): Promise<void> {
    if (!entries.length) return;
    const docs = await Promise.all(entries.map((e) => this.stored(e.input, e.at)));
    await onDuplicateKey(
      () => this.versions.collection.insertMany(docs, { ordered: true }),
      (err) => {
        const { input } = entries[failedInsertIndex(err)] ?? entries[0];
        return new VersionReusedError(input.key, input.version);
      },
    );
    await this.epoch.written();
  }

  /** The document `insert` stores for a version, validated against the schema. */
  private async stored(input: NewVersion, at: Date): Promise<VersionLean & { __v: number }> {
    const doc = new this.versions({
      plugin_key: input.key,
      version: input.version,
      version_key: input.versionKey,
      prerelease: input.prerelease,
      status: input.status,
      manifest: input.manifest,
      artifact: input.artifact.bytes,
      size: input.artifact.size,
      checksum: input.artifact.checksum,
      integrity: input.artifact.integrity,
      published_by: input.publishedBy,
      published_at: at,
      submitted_at: input.status === 'draft' ? null : at,
      reviewed_by: input.reviewedBy ?? null,
      reviewed_at: input.reviewedBy !== undefined && input.status === 'approved' ? at : null,
      created_at: at,
      updated_at: at,
    });
    await doc.validate();
    const files = input.files.map(({ role, path, size, sha256, content }) => ({ role, path, size, sha256, content }));
    return { ...(doc.toObject() as VersionLean), files, __v: 0 };
  }

  count(key: string): Promise<number> {
    return this.versions.countDocuments({ plugin_key: key }).exec();
  }

  async states(key: string): Promise<Array<VersionState & { publishedAt: Date }>> {
    const docs = await this.versions
      .find({ plugin_key: key }, { version: 1, status: 1, yanked: 1, published_at: 1 })
      .lean<VersionLean[]>()
      .exec();
    return docs.map((d) => ({ version: d.version, status: d.status, yanked: d.yanked, publishedAt: d.published_at }));
  }

  async find(key: string, version: string): Promise<PluginVersion | null> {
    const doc = await this.versions.findOne({ plugin_key: key, version }, LIGHT_VERSION).lean<VersionLean>().exec();
    return doc ? toVersion(doc) : null;
  }

  /** All versions of a plugin, without bytes; callers sort by semver. */
  async list(key: string): Promise<PluginVersion[]> {
    const docs = await this.versions.find({ plugin_key: key }, LIGHT_VERSION).lean<VersionLean[]>().exec();
    return docs.map(toVersion);
  }

  /** Keys of the plugins with at least one version in `status` (the review queue: pending), through its index. */
  async keysWithStatus(status: VersionStatus): Promise<string[]> {
    const keys = await this.versions.distinct('plugin_key', { status }).exec();
    return keys.map(String);
  }

  /** The review states of several plugins' versions at once (the admin overview's page). */
  async statesOfMany(keys: readonly string[]): Promise<Map<string, VersionReviewState[]>> {
    const result = new Map<string, VersionReviewState[]>(keys.map((k) => [k, []]));
    if (!keys.length) return result;
    const docs = await this.versions
      .find(
        { plugin_key: { $in: [...keys] } },
        {
          plugin_key: 1,
          version: 1,
          status: 1,
          yanked: 1,
          submitted_at: 1,
          reviewed_by: 1,
          reviewed_at: 1,
          review_notes: 1,
          published_at: 1,
        },
      )
      .lean<VersionLean[]>()
      .exec();
    for (const d of docs) result.get(d.plugin_key)?.push(toReviewState(d));
    return result;
  }

  /** All versions of several plugins at once, without bytes (one query per resolution wave). */
  async listMany(keys: readonly string[]): Promise<PluginVersion[]> {
    if (!keys.length) return [];
    const docs = await this.versions
      .find({ plugin_key: { $in: [...keys] } }, LIGHT_VERSION)
      .lean<VersionLean[]>()
      .exec();
    return docs.map(toVersion);
  }

  /** What the runtime loads: the manifest and the runner's text (null for a package without one); null if unknown. */
  async loadable(key: string, version: string): Promise<LoadablePackage | null> {
    const doc = await this.versions
      .findOne({ plugin_key: key, version }, { manifest: 1, 'files.role': 1, 'files.content': 1 })
      .lean<Pick<VersionLean, 'manifest' | 'files'>>()
      .exec();
    if (!doc) return null;
    const runner = (doc.files ?? []).find((f) => f.role === 'runner');
    return { manifest: doc.manifest, runner: runner ? bytesOf(runner.content).toString('utf8') : null };
  }

  /** Applies `changes`, only while the version is in one of `onlyIfStatus` when given; null when it was not. */
  async update(
    key: string,
    version: string,
    changes: VersionChanges,
    onlyIfStatus?: VersionStatus[],
  ): Promise<PluginVersion | null> {
    const q: Record<string, unknown> = { plugin_key: key, version };
    if (onlyIfStatus) q.status = { $in: onlyIfStatus };
    const doc = await this.versions
      .findOneAndUpdate(q, { $set: toVersionSet(changes) }, { returnDocument: 'after', projection: LIGHT_VERSION })
      .lean<VersionLean>()
      .exec();
    await this.epoch.written(!!doc);
    return doc ? toVersion(doc) : null;
  }

  async artifact(key: string, version: string): Promise<Artifact | null> {
    const doc = await this.versions
      .findOne({ plugin_key: key, version }, { artifact: 1, size: 1, checksum: 1, integrity: 1 })
      .lean<VersionLean>()
      .exec();
    if (!doc) return null;
    const bytes = bytesOf(doc.artifact);
    return { bytes, size: doc.size, checksum: doc.checksum, integrity: doc.integrity };
  }

  async countDownload(key: string, version: string): Promise<void> {
    await this.versions
      .updateOne({ plugin_key: key, version }, { $inc: { downloads: 1 } }, { timestamps: false })
      .exec();
  }
}
