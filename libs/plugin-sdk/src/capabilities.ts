/**
 * The capability catalogue: everything a plugin can ask the host for. A manifest requests capabilities in
 * `permissions`; an administrator grants a subset per installation; the runtime exposes only what was granted.
 */
export const CAPABILITIES = [
  'log',
  'config:read',
  'secrets:read',
  'events:emit',
  'events:subscribe',
  'messages:send',
  'messages:receive',
  'storage:read',
  'storage:write',
  'http:external',
  'process:data',
  'endpoints:serve',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

/** Capabilities that carry parameters and therefore must be written in the object form in a manifest. */
export const PARAMETERISED_CAPABILITIES = ['http:external'] as const satisfies readonly Capability[];

/** How much harm a capability allows, least first (also an installation's security level). */
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export interface CapabilityInfo {
  /** The capability string used in manifests and grants. */
  id: Capability;
  /** One sentence for administrators deciding whether to grant it. */
  description: string;
  /** How much harm a malicious plugin could do with it. */
  risk: RiskLevel;
  /** What the sandbox gets when it is granted. */
  provides: string;
  /** Parameters the manifest must give with it (only `http:external` has any). */
  parameters?: Record<string, string>;
}

export const CAPABILITY_CATALOGUE: readonly CapabilityInfo[] = [
  {
    id: 'log',
    description: 'Write log lines (debug, info, warn, error) to the installation log.',
    risk: 'low',
    provides: 'context.log.debug/info/warn/error and console.*',
  },
  {
    id: 'config:read',
    description: "Read the installation's own non-secret settings.",
    risk: 'low',
    provides: 'context.config',
  },
  {
    id: 'secrets:read',
    description: "Read the installation's secret settings (API keys, tokens) in clear text.",
    risk: 'high',
    provides: 'secret keys inside context.config',
  },
  {
    id: 'events:emit',
    description: 'Publish events on the platform event bus.',
    risk: 'medium',
    provides: 'context.events.emit(type, data)',
  },
  {
    id: 'events:subscribe',
    description: 'Receive the events listed in the manifest under events.subscribes.',
    risk: 'low',
    provides: 'the onEvent(event) hook is called',
  },
  {
    id: 'messages:send',
    description: 'Send request/response messages to other installed plugins.',
    risk: 'medium',
    provides: 'context.messages.send(target, type, data, { timeout })',
  },
  {
    id: 'messages:receive',
    description: 'Receive messages from users and other plugins.',
    risk: 'low',
    provides: 'the onMessage(message) hook is called',
  },
  {
    id: 'storage:read',
    description: "Read keys from the installation's private key-value store.",
    risk: 'low',
    provides: 'context.storage.get(key), context.storage.list(prefix)',
  },
  {
    id: 'storage:write',
    description: "Write and delete keys in the installation's private key-value store, within its byte quota.",
    risk: 'medium',
    provides: 'context.storage.set(key, value), context.storage.delete(key)',
  },
  {
    id: 'http:external',
    description: 'Make HTTP(S) requests to the listed hosts only.',
    risk: 'high',
    provides: 'context.http.fetch(url, init)',
    parameters: {
      hosts:
        'Allowed hosts: "api.example.com" (any port), "api.example.com:8443" (that port only) or "*.example.com" (any subdomain).',
    },
  },
  {
    id: 'process:data',
    description: 'Be handed data to process through POST /api/plugins/{plugin}/execute/ (the Execute step).',
    risk: 'low',
    provides: 'the onProcess(data) hook is called (messages:receive allows it too)',
  },
  {
    id: 'endpoints:serve',
    description:
      'Answer the HTTP routes the manifest declares in endpoints, under /api/plugins/{plugin}/endpoints/, with its own responses.',
    risk: 'medium',
    provides: 'the onRequest(request) hook is called',
  },
];

/**
 * The namespaces the capabilities live in (`storage` of `storage:read`, `log`). A custom scope may not use one, so
 * that a misspelt capability (`storage:raed`) is reported instead of being kept as a custom scope.
 */
export const CAPABILITY_NAMESPACES: readonly string[] = [...new Set(CAPABILITIES.map((c) => c.split(':')[0]))];

export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && (CAPABILITIES as readonly string[]).includes(value);
}
