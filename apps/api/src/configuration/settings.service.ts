import { Injectable } from '@nestjs/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { AuditNotes } from '../admin/audit-notes.js';
import { PackageUnreadableError } from '../installation/installation.errors.js';
import { InstallationsService, type TargetQuery } from '../installation/installations.service.js';
import { UnknownSettingError } from './configuration.errors.js';
import { ConfigurationService } from './configuration.service.js';
import { type SettingView, settingViews } from './settings-view.js';

/**
 * InvenTree's per-setting view of an installation's settings, on top of ConfigurationService (one setting written
 * is a PATCH of the configuration with that key: the same checks, mask rule, live push and event). Settings come
 * from the manifest: none is created or deleted here, and an unknown key is 404.
 */
@Injectable()
export class SettingsService {
  constructor(
    private readonly installations: InstallationsService,
    private readonly configuration: ConfigurationService,
    private readonly auditNotes: AuditNotes,
  ) {}

  /** Every setting of every installation in the caller's own targets (theirs, their organisations', global). */
  async all(
    caller: AuthUser,
    filter: { active?: boolean; pluginKey?: string },
    window: PageWindow,
  ): Promise<Slice<SettingView>> {
    const views: SettingView[] = [];
    for (const installation of await this.installations.inTargetsOf(caller.id, filter.pluginKey)) {
      if (filter.active !== undefined && (installation.status === 'active') !== filter.active) continue;
      try {
        views.push(...settingViews(installation, await this.configuration.settingsOf(installation)));
      } catch (err) {
        if (!(err instanceof PackageUnreadableError)) throw err; // its settings cannot be known: left out
      }
    }
    return { count: views.length, items: views.slice(window.offset, window.offset + window.limit) };
  }

  async list(caller: AuthUser, key: string, query: TargetQuery, window: PageWindow): Promise<Slice<SettingView>> {
    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    const views = settingViews(installation, await this.configuration.settingsOf(installation));
    return { count: views.length, items: views.slice(window.offset, window.offset + window.limit) };
  }

  async one(caller: AuthUser, key: string, query: TargetQuery, setting: string): Promise<SettingView> {
    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    const [view] = settingViews(installation, await this.configuration.settingsOf(installation), setting);
    if (!view) throw new UnknownSettingError(setting);
    return view;
  }

  /** Sets one setting (null: back to its default; a secret's `***hidden***` keeps it). */
  async write(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    setting: string,
    value: unknown,
  ): Promise<SettingView> {
    const current = await this.one(caller, key, query, setting);
    // The body is `{value}`: a secret setting's value is redacted under that name too, whatever its type.
    if (current.definition.secret === true) this.auditNotes.secretField('value');
    await this.configuration.write(caller, { key, query, body: { [setting]: value }, mode: 'merge' });
    return this.one(caller, key, query, setting);
  }
}
