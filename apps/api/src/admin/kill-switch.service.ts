import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, EventBus } from '@app/common';
import { FaultPoints } from '../installation/fault-points.js';
import type { Actor } from '../installation/installation.entity.js';
import { LifecycleService } from '../installation/lifecycle.service.js';
import { ModerationService } from '../registry/moderation.service.js';
import { NotKilledError, UnknownVersionsError } from './admin.errors.js';
import { AuditNotes } from './audit-notes.js';
import { AdminPluginResponseDto, type KillPluginDto, type RevivePluginDto } from './dto/admin-plugin.dto.js';
import { KillWatcher } from './kill-watcher.js';

/**
 * The kill switch. Pulling it sets the registry's `killed` flag (with the versions and the reason) first, so
 * every check that reads the flag refuses the plugin from then on, on every node; then this node stops its
 * running instances and marks the installations `killed`, and emits `plugin.killed`. Other nodes stop theirs
 * when the bus tells them, or within a second when their KillWatcher sees the flag change. Reviving clears the
 * flag and returns killed installations to `disabled`: never silently active.
 */
@Injectable()
export class KillSwitchService {
  constructor(
    private readonly moderation: ModerationService,
    private readonly lifecycle: LifecycleService,
    private readonly watcher: KillWatcher,
    private readonly notes: AuditNotes,
    private readonly events: EventBus,
    @Inject(Clock) private readonly clock: Clock,
    private readonly faults: FaultPoints,
  ) {}

  async kill(caller: AuthUser, key: string, dto: KillPluginDto): Promise<AdminPluginResponseDto> {
    const before = await this.moderation.overviewItem(key);
    this.notes.before(AdminPluginResponseDto.from(before));
    const versions = dto.versions ?? [];
    const known = new Set(before.versions.map((v) => v.version));
    const unknown = versions.filter((v) => !known.has(v));
    if (unknown.length) throw new UnknownVersionsError(unknown);
    const at = this.clock.now();
    const plugin = await this.moderation.setKilled(key, {
      killed: true,
      versions,
      reason: dto.reason,
      by: caller.id,
      at,
    });
    // Dying here leaves the flag set and the installations as they were: every node's KillWatcher converges them.
    this.faults.hit('kill.flagged');
    if (plugin) await this.watcher.applyLocally(plugin);
    await this.lifecycle.killAll(key, actorOf(caller), dto.reason, versions);
    await this.events.emit('plugin.killed', { key, versions, reason: dto.reason, by: caller.id, at });
    return AdminPluginResponseDto.from(await this.moderation.overviewItem(key));
  }

  async revive(caller: AuthUser, key: string, dto: RevivePluginDto): Promise<AdminPluginResponseDto> {
    const before = await this.moderation.overviewItem(key);
    this.notes.before(AdminPluginResponseDto.from(before));
    if (!before.plugin.killed) throw new NotKilledError();
    const at = this.clock.now();
    await this.moderation.setKilled(key, { killed: false, versions: [], reason: dto.reason, by: caller.id, at }, true);
    await this.lifecycle.reviveAll(key, actorOf(caller));
    await this.events.emit('plugin.revived', { key, reason: dto.reason, by: caller.id, at });
    return AdminPluginResponseDto.from(await this.moderation.overviewItem(key));
  }
}

function actorOf(caller: AuthUser): Actor {
  return { kind: 'user', id: caller.id };
}
