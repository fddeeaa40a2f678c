import { type AuthUser, EventBus, JsonLogger, LogOutput, type PlatformRole } from '@app/common';
import { type Installation, zeroUsage } from '../../apps/api/src/installation/installation.entity.js';
import type { Plugin, PluginVersion } from '../../apps/api/src/registry/registry.entity.js';

/** An authenticated caller (JWT, full rights) for service specs. */
export const caller = (id: string, roles: PlatformRole[] = ['user']): AuthUser => ({
  id,
  email: `${id}@x.test`,
  name: id,
  roles,
  method: 'jwt',
  scopes: null,
});

/** A logger whose lines a spec can read. */
export function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger(new LogOutput('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
  return { lines, logger };
}

/** A real event bus that records what was emitted. */
export function recordingBus() {
  const bus = new EventBus(captureLogger().logger);
  const emitted: Array<{ event: string; payload: unknown }> = [];
  const emit = bus.emit.bind(bus);
  bus.emit = (event, payload) => {
    emitted.push({ event, payload });
    return emit(event, payload);
  };
  return { bus, emitted };
}

export const pluginFixture = (p: Partial<Plugin> = {}): Plugin => ({
  key: 'acme.x',
  name: 'X',
  description: 'x',
  category: null,
  tags: [],
  homepage: null,
  repository: null,
  icon: null,
  author: null,
  license: null,
  editedFields: [],
  ownerType: 'user',
  ownerId: 'owner',
  scope: 'public',
  verified: false,
  killed: false,
  killedReason: null,
  killedVersions: [],
  killedBy: null,
  killedAt: null,
  killChangedAt: null,
  verifiedBy: null,
  verifiedAt: null,
  verifiedNotes: null,
  status: 'approved',
  hasApproved: true,
  distTags: { latest: '1.0.0', next: null },
  displayVersion: '1.0.0',
  lastPublishedAt: new Date(0),
  stats: { downloads: 0, rating: 0, reviews: 0 },
  isBuiltin: false,
  isSample: false,
  source: 'store',
  mixins: [],
  dependencies: [],
  createdBy: 'owner',
  deletedAt: null,
  deletedBy: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...p,
});

export const versionFixture = (v: Partial<PluginVersion> = {}): PluginVersion => ({
  key: 'acme.x',
  version: '1.0.0',
  prerelease: false,
  status: 'approved',
  manifest: {},
  files: [],
  size: 10,
  checksum: 'c',
  integrity: 'sha512-abc',
  deprecated: null,
  yanked: false,
  yankedAt: null,
  downloads: 0,
  reviewNotes: null,
  reviewedBy: null,
  reviewedAt: null,
  submittedAt: null,
  publishedBy: 'owner',
  publishedAt: new Date(0),
  ...v,
});

export const installationFixture = (i: Partial<Installation> = {}): Installation => ({
  id: '0000000000000000000000a1',
  pluginKey: 'acme.x',
  target: { scope: 'user', userId: 'u1' },
  installedVersion: '1.0.0',
  status: 'active',
  enabled: true,
  statusReason: null,
  source: 'store',
  config: {},
  secrets: {},
  grants: [],
  pendingGrants: [],
  limits: null,
  securityLevel: null,
  metadata: {},
  requested: [],
  dependencies: {},
  usage: zeroUsage(),
  autoUpdate: false,
  updateAvailable: false,
  availableVersion: null,
  backups: [],
  installedBy: 'u1',
  installedAt: new Date(0),
  updatedAt: new Date(0),
  operationId: null,
  ...i,
});
