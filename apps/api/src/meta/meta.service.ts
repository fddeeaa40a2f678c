import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { projectFile } from '../config/paths.js';
import { API_VERSION } from './api-version.js';
import { type ChangelogEntry, parseChangelog } from './changelog.js';

@Injectable()
export class MetaService {
  readonly serverVersion: string = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')).version;
  private changelog: ChangelogEntry[] | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  version() {
    return {
      server: this.serverVersion,
      api: API_VERSION,
      node: process.version,
      database: this.config.mongodbUri ? ('mongodb' as const) : ('embedded' as const),
    };
  }

  versionText() {
    this.changelog ??= parseChangelog(readFileSync(projectFile('openapi/CHANGELOG.md'), 'utf8'));
    return { api: API_VERSION, entries: this.changelog };
  }
}
