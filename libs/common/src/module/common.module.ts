import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventBus } from '../events/event-bus.js';
import { EventHandlerExplorer } from '../events/event-handler.explorer.js';
import { JsonLogger } from '../logging/json-logger.js';
import { Scheduler } from '../scheduling/scheduler.js';
import { Clock, SystemClock } from '../time/clock.js';

/**
 * The app-wide infrastructure every module may inject without importing anything: the app's root `JsonLogger`
 * (take a context with `logger.child('X')`), the `Clock`, the typed `EventBus` (handlers are found by
 * `@OnPlughubEvent`) and the `Scheduler` of periodic jobs. Tests replace the clock with `overrideProvider(Clock)`.
 */
@Global()
@Module({})
export class CommonModule {
  static forRoot(options: { logger: JsonLogger }): DynamicModule {
    return {
      module: CommonModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: JsonLogger, useValue: options.logger },
        { provide: Clock, useClass: SystemClock },
        {
          provide: EventBus,
          inject: [JsonLogger],
          useFactory: (logger: JsonLogger) => new EventBus(logger.child('Events')),
        },
        { provide: Scheduler, inject: [JsonLogger], useFactory: (logger: JsonLogger) => new Scheduler(logger) },
        EventHandlerExplorer,
      ],
      exports: [JsonLogger, Clock, EventBus, Scheduler],
    };
  }
}
