import type { RuntimeBridge } from '@app/runtime';

/**
 * MESSAGE_ROUTER: where plugin events and plugin-to-plugin messages go; the port the messaging module implements.
 * Until one is bound, RuntimeModule routes in process (in-process-message-router.ts): messages reach a running
 * installation of the target plugin on this node, and emitted events go to the event bus as `plugin.event`.
 *
 * How the messaging module binds it: in a global module (its own persistence module, say). Its router may inject
 * PluginRuntime: the runtime looks the router up the first time a plugin sends or emits, after boot, so there is
 * no dependency cycle and no forwardRef:
 *
 *   @Global()
 *   @Module({ providers: [BusMessageRouter, { provide: MESSAGE_ROUTER, useExisting: BusMessageRouter }],
 *             exports: [MESSAGE_ROUTER] })
 *   export class MessagingPersistenceModule {}
 */
export const MESSAGE_ROUTER = Symbol('MESSAGE_ROUTER');

/** The same contract as the runtime library's RuntimeBridge. */
export type MessageRouter = RuntimeBridge;
