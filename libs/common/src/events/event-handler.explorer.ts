import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { EventBus } from './event-bus.js';
import { EVENT_HANDLER_METADATA, type EventHandlerMetadata } from './on-event.decorator.js';

/** Finds the `@OnPlughubEvent` methods of every singleton provider at boot and registers them on the bus. */
@Injectable()
export class EventHandlerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | null | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name];
        if (typeof method !== 'function') continue;
        const marks = Reflect.getMetadata(EVENT_HANDLER_METADATA, method) as EventHandlerMetadata[] | undefined;
        for (const mark of marks ?? []) {
          const handler = (method as (payload: unknown) => unknown).bind(instance) as () => void;
          this.bus.on(mark.event, handler, { priority: mark.priority, name: `${instance.constructor.name}.${name}` });
        }
      }
    }
  }
}
