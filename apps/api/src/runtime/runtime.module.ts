import { Injectable, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import { PluginRuntime } from '@app/runtime';
import type { RuntimeConfig } from '../config/app-config.js';
import { RUNTIME_CONFIG } from '../config/config.module.js';
import { PluginDataService } from './plugin-data.service.js';
import { PluginStorageRepository } from './persistence/plugin-storage.repository.js';
import { currentRequestId, RequestContextHook } from './request-context.js';
import { RuntimePersistenceModule } from './persistence/runtime-persistence.module.js';
import { RuntimeBridgeAdapter } from './runtime-bridge.js';
import { RuntimeEventsObserver } from './runtime-events.observer.js';

/** Closes the runtime (onCleanup of every plugin, then the workers) before the database connection goes. */
@Injectable()
class RuntimeShutdown implements BeforeApplicationShutdown {
  constructor(private readonly runtime: PluginRuntime) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}

/**
 * The one PluginRuntime of the app (inject `PluginRuntime`): its observer publishes to the event bus
 * (`runtime.call`, `runtime.log`, `runtime.state`), `context.storage` is the plugin_storage repository, plugin
 * messages and events go through MESSAGE_ROUTER (runtime.ports.ts), its limits come from RUNTIME_CONFIG, and it
 * is closed when the application shuts down. Worker threads start with the first load (or `warmUp()`).
 * PluginDataService clears or measures an installation's stored data for the modules that need it. Calls made
 * while serving an API request carry its id (RequestContextHook), down to the log lines they write.
 */
@Module({
  imports: [RuntimePersistenceModule],
  providers: [
    RuntimeEventsObserver,
    RuntimeBridgeAdapter,
    {
      provide: PluginRuntime,
      inject: [RUNTIME_CONFIG, RuntimeEventsObserver, PluginStorageRepository, RuntimeBridgeAdapter],
      useFactory: (
        config: RuntimeConfig,
        observer: RuntimeEventsObserver,
        storage: PluginStorageRepository,
        bridge: RuntimeBridgeAdapter,
      ) =>
        new PluginRuntime({
          observer,
          storage,
          bridge,
          workers: config.workers ?? undefined,
          maxCrashes: config.maxCrashes,
          crashWindowMs: config.crashWindowMs,
          watchdogGraceMs: config.watchdogGraceMs,
          workerSpinMicros: config.workerSpinMicros,
          requestIdOf: currentRequestId,
        }),
    },
    RuntimeShutdown,
    RequestContextHook,
    PluginDataService,
  ],
  exports: [PluginRuntime, PluginDataService],
})
export class RuntimeModule {}
