import type { HookCallEvent, PluginLogEvent, StateChangeEvent } from '@app/runtime';

export type { HookCallEvent, PluginLogEvent, StateChangeEvent };

/** An event a plugin emitted with `context.events.emit` (its `events:emit` grant allowing). */
export interface PluginEmittedEvent {
  installationId: string;
  /** Null when the installation is no longer loaded by the time the event is handled. */
  pluginKey: string | null;
  type: string;
  data: unknown;
  at: Date;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** Every hook call of every plugin, timed, with its outcome (metrics, health and usage stats hang off it). */
    'runtime.call': HookCallEvent;
    /** A log line a plugin wrote, or one the runtime wrote about it (logs module). */
    'runtime.log': PluginLogEvent;
    /** An installation's runtime state changed (loading, ready, failed, stopping, stopped). */
    'runtime.state': StateChangeEvent;
    /** A plugin emitted an event (messaging fans it out to the plugins that subscribe). */
    'plugin.event': PluginEmittedEvent;
  }
}
