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
// Empty here on purpose: every module adds its own events (registry, runtime, installation, …).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PlughubEvents {}

export type PlughubEventName = keyof PlughubEvents;
