import type { AuthUser } from '@app/common';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { UsersService } from '../users/users.service.js';
import { NoInstallationsLookup } from './installation-lookup.js';
import { PluginReviewsService } from './plugin-reviews.service.js';
import type { Plugin, PluginVersion, RegistryRepository } from './registry.repository.js';
import { isBase64, RegistryService } from './registry.service.js';

const user = (id: string, roles: AuthUser['roles'] = ['user']): AuthUser => ({
  id,
  email: `${id}@x.test`,
  name: id,
  roles,
  method: 'jwt',
  scopes: null,
});

const plugin = (p: Partial<Plugin> = {}): Plugin => ({
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
  ownerType: 'user',
  ownerId: 'owner',
  scope: 'public',
  verified: false,
  killed: false,
  killedReason: null,
  status: 'approved',
  hasApproved: true,
  distTags: { latest: '1.0.0', next: null },
  displayVersion: '1.0.0',
  lastPublishedAt: new Date(),
  stats: { downloads: 0, rating: 0, reviews: 0 },
  isBuiltin: false,
  isSample: false,
  source: 'store',
  mixins: [],
  dependencies: [],
  createdBy: 'owner',
  deletedAt: null,
  deletedBy: null,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...p,
});

const version = (v: Partial<PluginVersion> = {}): PluginVersion => ({
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
  publishedAt: new Date(),
  ...v,
});

const manifest = (key = 'acme.x', v = '1.0.0') => ({
  key,
  name: 'X',
  version: v,
  description: 'does x',
  runtime: { type: 'sandbox', entry: 'runner.js' },
});

type Mocked<T> = { [K in keyof T]: ReturnType<typeof vi.fn> };

let repo: Mocked<RegistryRepository>;
let orgs: Mocked<Pick<OrgsService, 'membershipsOf' | 'roleOf' | 'findById'>>;
let service: RegistryService;
const config = { limits: { uploadBytes: 2048 } } as AppConfig;

beforeEach(() => {
  // Strict: any repository call a test did not expect fails loudly.
  repo = new Proxy({} as Mocked<RegistryRepository>, {
    get: (target, prop: string) =>
      (target as Record<string, unknown>)[prop] ??
      ((target as Record<string, unknown>)[prop] = vi.fn(() => {
        throw new Error(`unexpected repository call: ${prop}`);
      })),
  });
  orgs = { membershipsOf: vi.fn().mockResolvedValue([]), roleOf: vi.fn(), findById: vi.fn() };
  const users = { findByIds: vi.fn().mockResolvedValue([]) };
  service = new RegistryService(
    repo as unknown as RegistryRepository,
    orgs as unknown as OrgsService,
    users as unknown as UsersService,
    new NoInstallationsLookup(),
    config,
  );
});

describe('RegistryService.publish', () => {
  it('creates a private, pending plugin owned by the caller and stores a version with its digest', async () => {
    repo.findPlugin.mockResolvedValueOnce(null).mockResolvedValue(plugin({ status: 'pending', hasApproved: false }));
    repo.createPlugin.mockResolvedValue(plugin());
    repo.insertVersion.mockImplementation((v) => Promise.resolve(version({ status: v.status })));
    repo.bumpRev.mockResolvedValue(1);
    repo.versionStates.mockResolvedValue([
      { version: '1.0.0', status: 'pending', yanked: false, publishedAt: new Date() },
    ]);
    repo.findVersion.mockResolvedValue(version({ status: 'pending', manifest: manifest() }));
    repo.writeDerived.mockResolvedValue(undefined);

    const res = await service.publish(user('u1'), { manifest: manifest(), files: { runner: 'x()' } });
    expect(res.created).toBe(true);
    expect(repo.createPlugin).toHaveBeenCalledWith(
      expect.objectContaining({ key: 'acme.x', ownerType: 'user', ownerId: 'u1', scope: 'private', status: 'pending' }),
    );
    const stored = repo.insertVersion.mock.calls[0][0];
    expect(stored.files.map((f: { role: string; path: string }) => [f.role, f.path])).toEqual([
      ['runner', 'runner.js'],
    ]);
    expect(stored.artifact.integrity).toMatch(/^sha512-/);
    expect(stored.artifact.size).toBe(stored.artifact.bytes.length);
    expect(repo.writeDerived).toHaveBeenCalledWith(
      'acme.x',
      1,
      expect.objectContaining({ status: 'pending', hasApproved: false, distTags: { latest: null, next: null } }),
    );
  });

  it('lists manifest and file errors together, before touching the database', async () => {
    const err = await service
      .publish(user('u1'), { manifest: { key: 'x', runtime: { type: 'sandbox' } }, files: {} })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR' });
    const fields = (err as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['manifest.key', 'manifest.version', 'files.runner']));
  });

  it('refuses oversize packages with the limit and the actual size, storing nothing', async () => {
    const err = await service
      .publish(user('u1'), { manifest: manifest(), files: { runner: 'x'.repeat(3000) } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 2048 } });
    expect((err as { details: { actual: number } }).details.actual).toBeGreaterThan(3000);
  });

  it('needs the publisher role for public scope, and reserves plughub.', async () => {
    repo.findPlugin.mockResolvedValue(null);
    await expect(
      service.publish(user('u1'), { manifest: manifest(), files: { runner: 'x' }, scope: 'public' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      service.publish(user('u1'), { manifest: manifest('plughub.x'), files: { runner: 'x' } }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses versions of someone else’s plugin: CONFLICT when invisible, FORBIDDEN when visible', async () => {
    repo.findPlugin.mockResolvedValue(plugin({ scope: 'private' }));
    await expect(service.publish(user('u1'), { manifest: manifest(), files: { runner: 'x' } })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    repo.findPlugin.mockResolvedValue(plugin({ scope: 'public' }));
    await expect(service.publish(user('u1'), { manifest: manifest(), files: { runner: 'x' } })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    repo.findPlugin.mockResolvedValue(plugin({ ownerId: 'u1', deletedAt: new Date() }));
    await expect(service.publish(user('u1'), { manifest: manifest(), files: { runner: 'x' } })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});

describe('RegistryService reads', () => {
  it('answers PLUGIN_NOT_FOUND, never FORBIDDEN, for what the caller may not see', async () => {
    repo.findPlugin.mockResolvedValue(plugin({ scope: 'private' }));
    await expect(service.get(user('u1'), 'acme.x')).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    repo.findPlugin.mockResolvedValue(null);
    await expect(service.get(user('u1'), 'acme.x')).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
  });

  it('hides unapproved versions from others', async () => {
    repo.findPlugin.mockResolvedValue(plugin());
    repo.findVersion.mockResolvedValue(version({ version: '2.0.0', status: 'pending' }));
    await expect(service.getVersion(user('u1'), 'acme.x', '2.0.0')).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    const mine = await service.getVersion(user('owner'), 'acme.x', '2.0.0');
    expect(mine.isManager).toBe(true);
  });

  it('does not count a download the client already has', async () => {
    repo.findPlugin.mockResolvedValue(plugin());
    repo.findVersion.mockResolvedValue(version());
    const res = await service.download(user('u1'), 'acme.x', '1.0.0', 'W/"sha512-abc"');
    expect(res.notModified).toBe(true);
    expect(repo.countDownload).not.toHaveBeenCalled();
  });

  it('builds the catalog from the visibility filter and the mapped ordering', async () => {
    repo.catalog.mockResolvedValue({ count: 0, items: [] });
    await service.catalog(user('u1'), { ordering: '-downloads', search: 'x', tags: ['a'] }, { offset: 0, limit: 20 });
    const [visibility, criteria, sort] = repo.catalog.mock.calls[0];
    expect(visibility).toMatchObject({ deleted_at: null });
    expect(criteria).toMatchObject({ search: 'x', tags: ['a'] });
    expect(sort).toEqual({ 'stats.downloads': -1, _id: -1 });
    // Keys are unique: no tie-break, so the unique index can serve the order.
    await service.catalog(user('u1'), { ordering: '-key' }, { offset: 0, limit: 20 });
    await service.catalog(user('u1'), {}, { offset: 0, limit: 20 });
    expect(repo.catalog.mock.calls.slice(1).map((c) => c[2])).toEqual([{ key: -1 }, { key: 1 }]);
  });
});

describe('PluginReviewsService.rate', () => {
  it('applies the difference to the totals and writes the exact average', async () => {
    repo.findPlugin.mockResolvedValue(plugin());
    repo.upsertRating.mockResolvedValue({ previous: 4, review: { id: 'r', key: 'acme.x', userId: 'u1' } });
    repo.addToRatingTotals.mockResolvedValue({ sum: 7, count: 3 });
    repo.setRatingIfCurrent.mockResolvedValue(undefined);
    const reviews = new PluginReviewsService(repo as unknown as RegistryRepository, service, {} as UsersService);
    const res = await reviews.rate(user('u1'), 'acme.x', { rating: 2 });
    expect(res.created).toBe(false);
    expect(repo.addToRatingTotals).toHaveBeenCalledWith('acme.x', -2, 0);
    expect(repo.setRatingIfCurrent).toHaveBeenCalledWith('acme.x', { sum: 7, count: 3 }, 2.33);
  });

  it('refuses owners rating their own plugin and plugins without an approved version', async () => {
    const reviews = new PluginReviewsService(repo as unknown as RegistryRepository, service, {} as UsersService);
    repo.findPlugin.mockResolvedValue(plugin());
    await expect(reviews.rate(user('owner'), 'acme.x', { rating: 5 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    repo.findPlugin.mockResolvedValue(plugin({ hasApproved: false, ownerId: 'someone' }));
    await expect(reviews.rate(user('u1', ['admin']), 'acme.x', { rating: 5 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});

describe('isBase64', () => {
  it('accepts canonical base64 only, and long input without blowing the stack', () => {
    for (const s of ['', 'QQ==', 'QUI=', 'QUJD', Buffer.alloc(6_000_000, 1).toString('base64')]) {
      expect(isBase64(s)).toBe(true);
    }
    for (const s of ['Q', 'QQ=', 'Q===', '****', 'QU=D', 'QUJD\n']) expect(isBase64(s)).toBe(false);
  });
});

describe('RegistryService.resolveInstallable', () => {
  const states = [
    version({ version: '1.0.0' }),
    version({ version: '1.1.0', status: 'pending' }),
    version({ version: '1.2.0', status: 'rejected' }),
  ];

  it('gives others approved versions only, and managers their pending ones too, never rejected', async () => {
    repo.findPlugin.mockResolvedValue(plugin({ distTags: { latest: '1.0.0', next: null } }));
    repo.listVersions.mockResolvedValue(states);
    expect((await service.resolveInstallable(user('u1'), 'acme.x')).version).toBe('1.0.0');
    expect((await service.resolveInstallable(user('u1'), 'acme.x', '^1.0.0')).version).toBe('1.0.0');
    await expect(service.resolveInstallable(user('u1'), 'acme.x', '1.1.0')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
    });
    expect((await service.resolveInstallable(user('owner'), 'acme.x')).version).toBe('1.1.0');
    expect((await service.resolveInstallable(user('owner'), 'acme.x', '^1.0.0')).version).toBe('1.1.0');
    await expect(service.resolveInstallable(user('owner'), 'acme.x', '1.2.0')).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
    });
  });
});
