import type { Actor, EventTarget } from '../installation/installation.entity.js';

/** An installation's settings changed (PUT/PATCH …/config/ or …/settings/{key}/); values are never carried. */
export interface ConfigChangedEvent {
  installationId: string;
  pluginKey: string;
  target: EventTarget;
  actor: Actor;
  /** The keys whose value changed (secrets by key only). */
  updatedFields: string[];
  /** The changed keys that reach the plugin only at its next start. */
  restartRequired: string[];
  /** Whether the running instance got the other changes at once. */
  applied: boolean;
  at: Date;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** An installation's settings changed. */
    'config.changed': ConfigChangedEvent;
  }
}
