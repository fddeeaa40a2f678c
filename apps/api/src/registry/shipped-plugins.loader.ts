import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppError, JsonLogger } from '@app/common';
import { readPluginDirectory } from '@app/runtime';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryConfig } from '../config/app-config.js';
import { REGISTRY_CONFIG } from '../config/config.module.js';
import { projectFile } from '../config/paths.js';
import { PublishingService } from './publishing.service.js';
import type { FileRole } from './registry.entity.js';

/** A plugin directory holding a file with this name is builtin (always registered); the others are samples. */
export const BUILTIN_MARKER = 'BUILTIN';

/**
 * Registers the plugins shipped in `plugins/` at start: builtin ones always, samples when PLUGHUB_SAMPLES is
 * on (the default outside production). They are owned by `system`, public and approved. A version already
 * registered is skipped, so restarts are harmless. Folders are read with the runtime's plugin-folder reader, the
 * one the runtime itself uses, so a folder the server registers is one the runtime can load.
 */
@Injectable()
export class ShippedPluginsLoader implements OnApplicationBootstrap {
  private readonly logger: JsonLogger;

  constructor(
    private readonly publishing: PublishingService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('ShippedPlugins');
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.load(projectFile('plugins'));
  }

  /** Registers what `root` holds; returns the keys of the versions registered now. */
  async load(root: string): Promise<string[]> {
    if (!existsSync(root)) return [];
    const registered: string[] = [];
    for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = join(root, entry.name);
      if (!entry.isDirectory() || !existsSync(join(dir, 'manifest.json'))) continue;
      const builtin = existsSync(join(dir, BUILTIN_MARKER));
      if (!builtin && !this.config.samples) continue;
      try {
        const folder = await readPluginDirectory(dir);
        const files: Partial<Record<FileRole, Buffer>> = {};
        if (folder.code !== undefined) files.runner = Buffer.from(folder.code, 'utf8');
        if (folder.readme !== undefined) files.readme = Buffer.from(folder.readme, 'utf8');
        // The reader gives text; icons may be binary, so take the icon's bytes as they are.
        if (folder.manifest.icon && folder.icon !== undefined)
          files.icon = readFileSync(join(dir, folder.manifest.icon));
        if (existsSync(join(dir, 'shape.json'))) files.shape = readFileSync(join(dir, 'shape.json'));
        if (await this.publishing.registerShipped(folder.manifest, files, { builtin, sample: !builtin })) {
          registered.push(folder.manifest.key);
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
