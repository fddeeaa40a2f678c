import type { EventOwner } from '../../apps/api/src/messaging/messaging.entity.js';
import {
  type EventParticipant,
  INSTALLATION_DIRECTORY,
  type InstallationDirectory,
  type MessageParty,
} from '../../apps/api/src/messaging/messaging.ports.js';

/**
 * A directory told by the test whose plugins are and what they subscribe to, for event and message e2e tests that
 * load real plugins into the app's PluginRuntime themselves (ownerships and nodes the API cannot set up cheaply).
 * It overrides the real binding (installation-directory.adapter.ts), which messaging-installation.e2e-spec.ts
 * tests through the installation API; the messaging code under test is the production code.
 */
export class TestDirectory implements InstallationDirectory {
  readonly participants = new Map<string, EventParticipant>();

  add(installationId: string, pluginKey: string, owner: EventOwner, subscribes: string[] = []): void {
    this.participants.set(installationId, { installationId, pluginKey, owner, subscribes });
  }

  remove(installationId: string): void {
    this.participants.delete(installationId);
  }

  /** Nothing is kept: every ask reads `participants`. */
  forgetSubscribers(): void {}

  describe(installationId: string): Promise<EventParticipant | null> {
    return Promise.resolve(this.participants.get(installationId) ?? null);
  }

  /** The target's installation in the sender's own target, else the global one (what effectiveFor answers). */
  messageTarget(fromInstallationId: string, pluginKey: string): Promise<EventParticipant | null> {
    const from = this.participants.get(fromInstallationId);
    const candidates = [...this.participants.values()].filter((p) => p.pluginKey === pluginKey);
    const own = from && candidates.find((p) => JSON.stringify(p.owner) === JSON.stringify(from.owner));
    return Promise.resolve(own ?? candidates.find((p) => p.owner.scope === 'global') ?? null);
  }

  subscribers(): Promise<EventParticipant[]> {
    return Promise.resolve([...this.participants.values()].filter((p) => p.subscribes.length > 0));
  }

  /** The user's own installation of the plugin, else the global one; active, granted both message capabilities. */
  servingUser(userId: string, pluginKey: string): Promise<MessageParty | null> {
    const candidates = [...this.participants.values()].filter((p) => p.pluginKey === pluginKey);
    const found =
      candidates.find((p) => p.owner.scope === 'user' && p.owner.userId === userId) ??
      candidates.find((p) => p.owner.scope === 'global');
    return Promise.resolve(found ? party(found) : null);
  }

  broadcastRecipients(orgId: string | null): Promise<MessageParty[]> {
    const all = [...this.participants.values()];
    return Promise.resolve((orgId === null ? all : all.filter((p) => p.owner.orgId === orgId)).map(party));
  }
}

const party = (p: EventParticipant): MessageParty => ({
  ...p,
  state: 'active',
  grants: ['messages:send', 'messages:receive'],
  category: null,
});

/** Overrides the installation module's INSTALLATION_DIRECTORY binding with `directory` (useTestApp `overrides`). */
export function directoryOverride(directory: TestDirectory) {
  return { provide: INSTALLATION_DIRECTORY, useValue: directory };
}

export const GLOBAL: EventOwner = { scope: 'global', userId: null, orgId: null };
export const userOwner = (userId: string): EventOwner => ({ scope: 'user', userId, orgId: null });

/** Reads a Server-Sent Events stream: messages (`id`, parsed `data`) and comments, as they arrive. */
export class SseReader {
  readonly messages: Array<{ id: string | null; data: unknown }> = [];
  readonly comments: string[] = [];
  private buffer = '';
  private readonly controller = new AbortController();
  private waiters: Array<() => void> = [];
  status = 0;

  static async open(url: string, headers: Record<string, string>): Promise<SseReader> {
    const reader = new SseReader();
    const res = await fetch(url, { headers, signal: reader.controller.signal });
    reader.status = res.status;
    if (res.ok && res.body) void reader.pump(res.body.getReader());
    return reader;
  }

  /** Resolves once `predicate` holds (checked after each chunk), or rejects after `timeoutMs`. */
  async until(predicate: (r: SseReader) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`stream condition not met; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async pump(body: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await body.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) !== -1) {
          this.parse(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end + 2);
        }
        const waiting = this.waiters;
        this.waiters = [];
        for (const w of waiting) w();
      }
    } catch {
      // aborted by close()
    }
  }

  private parse(block: string): void {
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length) this.messages.push({ id, data: JSON.parse(data.join('\n')) as unknown });
  }
}
