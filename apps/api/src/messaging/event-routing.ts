import { matchesEventType } from '@app/plugin-sdk';
import type { Viewer } from '../auth/auth.entity.js';
import type { EventOwner, EventVisibility, StoredEvent } from './messaging.entity.js';
import type { EventParticipant } from './messaging.ports.js';

/**
 * Whether an installation owned by `subscriber` may receive an event owned by `event`: a global installation
 * receives every event; any other receives the global ones, the platform's own (no owner) and those of its own
 * target. A user's plugin never hears about another user's installations, nor an org's about another org's.
 */
export function reaches(subscriber: EventOwner, event: EventOwner | null): boolean {
  if (subscriber.scope === 'global' || event === null || event.scope === 'global') return true;
  if (subscriber.scope !== event.scope) return false;
  return subscriber.scope === 'user' ? subscriber.userId === event.userId : subscriber.orgId === event.orgId;
}

/** The subscribers `event` goes to: a pattern of theirs matches its type and its owner reaches them. */
export function recipientsOf(event: Pick<StoredEvent, 'type' | 'owner'>, subscribers: EventParticipant[]) {
  return subscribers.filter(
    (s) => s.subscribes.some((pattern) => matchesEventType(pattern, event.type)) && reaches(s.owner, event.owner),
  );
}

/** What a reader may see of the stored events: everything for platform admins, else their own targets'. */
export function visibilityOf(viewer: Viewer): EventVisibility {
  if (viewer.isAdmin) return { all: true };
  return { all: false, userId: viewer.id, orgIds: [...viewer.orgRoles.keys()] };
}

/** Whether a reader with `visibility` may see an event owned by `owner` (the stream's check on live events). */
export function canSee(visibility: EventVisibility, owner: EventOwner | null): boolean {
  if (visibility.all) return true;
  if (owner === null) return false;
  if (owner.scope === 'global') return true;
  return owner.scope === 'user' ? owner.userId === visibility.userId : visibility.orgIds.includes(owner.orgId ?? '');
}
