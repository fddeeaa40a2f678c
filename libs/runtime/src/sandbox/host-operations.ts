import type { Capability } from '@app/plugin-sdk';

/**
 * The asynchronous host operations of the sandbox API and the capability each needs. This one table is what the
 * prelude (inside QuickJS), the worker and the main thread all check against, so they cannot disagree.
 * Imported by the worker thread too: keep it free of runtime imports.
 */
export const HOST_OPERATIONS = {
  'messages.send': 'messages:send',
  'storage.get': 'storage:read',
  'storage.list': 'storage:read',
  'storage.set': 'storage:write',
  'storage.delete': 'storage:write',
  'http.fetch': 'http:external',
} as const satisfies Record<string, Capability>;

export type HostOperation = keyof typeof HOST_OPERATIONS;

export function isHostOperation(op: string): op is HostOperation {
  return Object.prototype.hasOwnProperty.call(HOST_OPERATIONS, op);
}
