import { choiceEntries, SECRET_MASK, type SettingChoice, type SettingDefinition } from '@app/plugin-sdk';
import type { Installation, TargetScope } from '../installation/installation.entity.js';

/** One setting of an installation as the settings endpoints show it; a secret's value is never in it. */
export interface SettingView {
  key: string;
  definition: SettingDefinition;
  /** The stored value, else the default, else null; a secret that is set is `***hidden***`, one that is not null. */
  value: unknown;
  hasValue: boolean;
  choices: SettingChoice[];
  pluginKey: string;
  installationId: string;
  scope: TargetScope;
}

/** The settings of an installation in manifest order (`only`: just that key, none when it is not a setting). */
export function settingViews(
  installation: Installation,
  settings: Record<string, SettingDefinition>,
  only?: string,
): SettingView[] {
  const views: SettingView[] = [];
  for (const [key, definition] of Object.entries(settings)) {
    if (only !== undefined && key !== only) continue;
    let value: unknown;
    let hasValue: boolean;
    if (definition.secret) {
      hasValue = Object.prototype.hasOwnProperty.call(installation.secrets, key);
      value = hasValue ? SECRET_MASK : null;
    } else {
      const stored = installation.config[key];
      hasValue = stored !== undefined;
      value = stored !== undefined ? stored : (definition.default ?? null);
    }
    views.push({
      key,
      definition,
      value,
      hasValue,
      choices: definition.type === 'choice' ? choiceEntries(definition) : [],
      pluginKey: installation.pluginKey,
      installationId: installation.id,
      scope: installation.target.scope,
    });
  }
  return views;
}
