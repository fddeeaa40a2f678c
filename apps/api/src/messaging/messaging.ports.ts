import type { EventOwner } from './messaging.entity.js';

/** An installation as the event pipeline sees it. */
export interface EventParticipant {
  installationId: string;
  pluginKey: string;
  owner: EventOwner;
  /** Its manifest's `events.subscribes` patterns (`*`, `user.*`, `plugin.installed`). */
  subscribes: string[];
}

/**
 * INSTALLATION_DIRECTORY: which installations exist for the event pipeline, and the port the installation module's
 * data binds. The pipeline asks it who an emitting installation belongs to (which decides who may read its
 * events) and which active installations subscribe to events.
 *
 * The installation module binds it (installation/installation-directory.module.ts, global). Unbound (an app
 * without that module), an emitted event is still stored and streamed (to platform admins, since its owner is
 * unknown) but nobody subscribes. e2e tests that load plugins themselves override it (test/support/events.ts).
 */
export const INSTALLATION_DIRECTORY = Symbol('INSTALLATION_DIRECTORY');
// Unbound, a plugin's message goes to a running installation of the target plugin on this node (one node only).

export interface InstallationDirectory {
  /** The installation, or null when it does not exist (any more). */
  describe(installationId: string): Promise<EventParticipant | null>;
  /** Active installations granted `events:subscribe` with at least one subscription. */
  subscribers(): Promise<EventParticipant[]>;
  /**
   * The installation of `pluginKey` that a message from `fromInstallationId` goes to: the one in the sender's
   * effective scope (its owner's own, their organisations', the global one), or null when there is none.
   */
  messageTarget(fromInstallationId: string, pluginKey: string): Promise<EventParticipant | null>;
}
