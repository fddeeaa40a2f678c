import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppError, JsonLogger } from '@app/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { projectFile } from '../config/paths.js';
import type { FileRole } from './artifact.js';
import { RegistryService } from './registry.service.js';

/** A plugin directory holding a file with this name is builtin (always registered); the others are samples. */
export const BUILTIN_MARKER = 'BUILTIN';

/**
 * Registers the plugins shipped in `plugins/` at start: builtin ones always, samples when PLUGHUB_SAMPLES is
 * on (the default outside production). They are owned by `system`, public and approved. A version already
 * registered is skipped, so restarts are harmless.
 */
@Injectable()
export class ShippedPluginsLoader implements OnApplicationBootstrap {
  private readonly logger = new JsonLogger('ShippedPlugins');

  constructor(
    private readonly registry: RegistryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.load(projectFile('plugins'));
  }

  async load(root: string): Promise<string[]> {
    if (!existsSync(root)) return [];
    const registered: string[] = [];
    for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = join(root, entry.name);
      if (!entry.isDirectory() || !existsSync(join(dir, 'manifest.json'))) continue;
      const builtin = existsSync(join(dir, BUILTIN_MARKER));
      if (!builtin && !this.config.samples) continue;
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
        const runtime = manifest.runtime as { entry?: string } | undefined;
        const candidates: Record<FileRole, string | undefined> = {
          runner: runtime?.entry,
          readme: 'README.md',
          icon: typeof manifest.icon === 'string' ? manifest.icon : undefined,
          shape: 'shape.json',
        };
        const files: Partial<Record<FileRole, Buffer>> = {};
        for (const [role, name] of Object.entries(candidates) as Array<[FileRole, string | undefined]>) {
          if (name && existsSync(join(dir, name))) files[role] = readFileSync(join(dir, name));
        }
        if (await this.registry.registerShipped(manifest, files, { builtin, sample: !builtin })) {
          registered.push(String(manifest.key));
        }
      } catch (err) {
        const detail = err instanceof AppError ? { code: err.code, errors: err.errors } : { error: String(err) };
        this.logger.error('Could not register a shipped plugin', { dir: entry.name, ...detail });
      }
    }
    if (registered.length) this.logger.info('Registered shipped plugins', { keys: registered });
    return registered;
  }
}
