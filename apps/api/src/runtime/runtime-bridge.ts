import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Clock, EventBus } from '@app/common';
import { PluginRuntime, type RuntimeBridge } from '@app/runtime';
import { InProcessMessageRouter } from './in-process-message-router.js';
import { MESSAGE_ROUTER, type MessageRouter } from './runtime.ports.js';

/**
 * The bridge handed to PluginRuntime. It resolves MESSAGE_ROUTER when a plugin first sends or emits (after boot,
 * so a router that injects PluginRuntime causes no cycle), falling back to the in-process router.
 */
@Injectable()
export class RuntimeBridgeAdapter implements RuntimeBridge {
  private router: MessageRouter | null = null;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly events: EventBus,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  emitEvent(installationId: string, event: { type: string; data: unknown }): void | Promise<void> {
    return this.resolve().emitEvent(installationId, event);
  }

  sendMessage(from: string, target: string, type: string, data: unknown, timeoutMs: number): Promise<unknown> {
    return this.resolve().sendMessage(from, target, type, data, timeoutMs);
  }

  private resolve(): MessageRouter {
    if (this.router) return this.router;
    let bound: MessageRouter | undefined;
    try {
      bound = this.moduleRef.get<MessageRouter>(MESSAGE_ROUTER, { strict: false });
    } catch {
      bound = undefined; // nothing bound it: route in process
    }
    this.router = bound ?? new InProcessMessageRouter(() => this.moduleRef.get(PluginRuntime), this.events, this.clock);
    return this.router;
  }
}
