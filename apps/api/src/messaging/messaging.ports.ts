import type { EventOwner } from './messaging.entity.js';

/** An installation as the event pipeline sees it. */
export interface EventParticipant {
  installationId: string;
  pluginKey: string;
  owner: EventOwner;
  /** Its manifest's `events.subscribes` patterns (`*`, `user.*`, `plugin.installed`). */
  subscribes: string[];
}

/** An installation as a message from the API sees it: the sender or the target of POST …/message/, a broadcast's recipient. */
export interface MessageParty extends EventParticipant {
  /**
   * `active`: it runs and nothing broader switches it off; `killed`: it, or a broader installation of the same
   * plugin, is under the kill switch; `inactive`: anything else (disabled, failed, installing, or an organisation's
   * or the instance's installation of the plugin is disabled).
   */
  state: 'active' | 'inactive' | 'killed';
  /** The capabilities granted to it (`messages:send`, `messages:receive`, …). */
  grants: string[];
  /** Its manifest's `category`, or null. */
  category: string | null;
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
  /** The installation of `pluginKey` that serves `userId` (their own, else an organisation's, else the global one). */
  servingUser(userId: string, pluginKey: string): Promise<MessageParty | null>;
  /** A broadcast's candidates: the `active` installations of the organisation `orgId`, or of every target when null. */
  broadcastRecipients(orgId: string | null): Promise<MessageParty[]>;
  /** Another node changed an installation: what is kept of the subscribers is read again at the next ask. */
  forgetSubscribers(): void;
}
