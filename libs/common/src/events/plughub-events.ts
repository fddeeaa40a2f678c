/**
 * The platform's typed event map: event name → payload. There is no central list to edit: a module declares its
 * own events in its `x.entity.ts` by declaration merging, so modules written in parallel never touch one file:
 *
 *   declare module '@app/common' {
 *     interface PlughubEvents {
 *       'plugin.published': PluginPublishedEvent;
 *     }
 *   }
 *
 * Then `events.emit('plugin.published', payload)` and `@OnPlughubEvent('plugin.published')` are type-checked
 * against that payload. Names are `<resource>.<past-tense verb>`; payloads are plain data (ids, keys, dates),
 * never documents or services, so a handler in another module needs nothing from the emitter.
 */
export interface PlughubEvents {
  /**
   * An installation changed state. Declared here only because the installation module does not exist yet: move it
   * to `installation.entity.ts` with that module (the payload may grow; subscribers read the fields they need).
   */
  'installation.changed': InstallationChangedEvent;
}

export type PlughubEventName = keyof PlughubEvents;

export interface InstallationChangedEvent {
  installationId: string;
  pluginKey: string;
  /** The state before the change; null when the installation was just created. */
  from: string | null;
  /** The state after it; `uninstalled` when it is gone. */
  to: string;
  at: Date;
}
