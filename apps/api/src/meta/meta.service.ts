import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseConfig } from '../config/app-config.js';
import { DATABASE_CONFIG } from '../config/config.module.js';
import { projectFile } from '../config/paths.js';
import { API_VERSION } from './api-version.js';
import { type ChangelogEntry, parseChangelog } from './changelog.js';

@Injectable()
export class MetaService {
  readonly serverVersion = (JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string })
    .version;
  private changelog: ChangelogEntry[] | null = null;

  constructor(@Inject(DATABASE_CONFIG) private readonly database: DatabaseConfig) {}

  version() {
    return {
      server: this.serverVersion,
      api: API_VERSION,
      database: this.database.uri ? ('mongodb' as const) : ('embedded' as const),
    };
  }

  versionText() {
    this.changelog ??= parseChangelog(readFileSync(projectFile('openapi/CHANGELOG.md'), 'utf8'));
    return { api: API_VERSION, entries: this.changelog };
  }
}
