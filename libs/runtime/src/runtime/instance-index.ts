import type { InstanceState } from '../runtime.types.js';

/** What the index needs of an instance: its key and its current state. */
export interface Indexable {
  state: InstanceState;
  spec: { pluginKey: string };
}

const STATES: readonly InstanceState[] = ['loading', 'ready', 'failed', 'stopping', 'stopped'];

/**
 * The loaded instances by state and by plugin key, kept as they come, go and change state, so that the app's
 * periodic work (health rounds, event delivery, metrics, routing a message to a plugin key) asks for what it needs
 * without describing every instance. `update` is told each time an installation's instance or its state changes;
 * it reads what the instance is now and moves the id, so the index cannot drift from the instances it was shown.
 */
export class InstanceIndex {
  private readonly indexed = new Map<string, { state: InstanceState; pluginKey: string }>();
  private readonly byState = new Map<InstanceState, Set<string>>(STATES.map((s) => [s, new Set<string>()]));
  private readonly byPlugin = new Map<string, Set<string>>();

  /** Puts `installationId` where `instance` (the one loaded for it now, undefined when none is) belongs. */
  update(installationId: string, instance: Indexable | undefined): void {
    const was = this.indexed.get(installationId);
    const pluginKey = instance?.spec.pluginKey;
    if (was && was.state === instance?.state && was.pluginKey === pluginKey) return;
    if (was) this.byState.get(was.state)!.delete(installationId);
    if (was && was.pluginKey !== pluginKey) {
      const keyed = this.byPlugin.get(was.pluginKey)!;
      keyed.delete(installationId);
      if (keyed.size === 0) this.byPlugin.delete(was.pluginKey);
    }
    if (!instance) {
      this.indexed.delete(installationId);
      return;
    }
    const key = instance.spec.pluginKey;
    this.indexed.set(installationId, { state: instance.state, pluginKey: key });
    this.byState.get(instance.state)!.add(installationId);
    let keyed = this.byPlugin.get(key);
    if (!keyed) this.byPlugin.set(key, (keyed = new Set()));
    keyed.add(installationId);
  }

  /** How many instances are in each state. */
  counts(): Record<InstanceState, number> {
    const counts = {} as Record<InstanceState, number>;
    for (const state of STATES) counts[state] = this.byState.get(state)!.size;
    return counts;
  }

  /**
   * The ids loaded (in the order they were first indexed), only those in `state` and/or of `pluginKey` when given,
   * at most `limit` of them: the work is the size of the smaller index read, or less with a limit.
   */
  ids(filter: InstanceFilter = {}): string[] {
    const { state, pluginKey, limit = Infinity } = filter;
    const from =
      pluginKey !== undefined
        ? (this.byPlugin.get(pluginKey) ?? [])
        : state !== undefined
          ? this.byState.get(state)!
          : this.indexed.keys();
    const wanted = pluginKey !== undefined && state !== undefined ? state : undefined;
    const ids: string[] = [];
    for (const id of from) {
      if (ids.length >= limit) break;
      if (wanted === undefined || this.indexed.get(id)!.state === wanted) ids.push(id);
    }
    return ids;
  }
}

/** Which ids `ids` answers. */
export interface InstanceFilter {
  state?: InstanceState;
  pluginKey?: string;
  limit?: number;
}
