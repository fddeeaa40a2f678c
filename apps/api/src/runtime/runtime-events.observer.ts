import { Injectable } from '@nestjs/common';
import { EventBus } from '@app/common';
import type { HookCallEvent, PluginLogEvent, RuntimeObserver, StateChangeEvent } from '@app/runtime';

/**
 * The runtime's one observer: every hook call, plugin log line and state change goes onto the event bus, where
 * metrics, logs, health and audit subscribe. The runtime calls it synchronously on the main thread for every hook
 * call, so it only hands the event over: with no subscriber that is one map lookup.
 */
@Injectable()
export class RuntimeEventsObserver implements RuntimeObserver {
  constructor(private readonly events: EventBus) {}

  onCall(event: HookCallEvent): void {
    this.events.notify('runtime.call', event);
  }

  onLog(event: PluginLogEvent): void {
    this.events.notify('runtime.log', event);
  }

  onStateChange(event: StateChangeEvent): void {
    this.events.notify('runtime.state', event);
  }
}
