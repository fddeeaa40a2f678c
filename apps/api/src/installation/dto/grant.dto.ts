import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import {
  CAPABILITIES,
  CUSTOM_SCOPE_MAX_LENGTH,
  CUSTOM_SCOPE_PATTERN,
  isCustomScope,
  type Permission,
} from '@app/plugin-sdk';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Capabilities granted by name (every one but `http:external`, which lists its hosts). */
export const PLAIN_CAPABILITIES = CAPABILITIES.filter((c) => c !== 'http:external');

/** `http:external` with the hosts granted. */
export class HttpExternalGrantDto {
  /** Always `http:external`. */
  @ApiProperty({ enum: ['http:external'], enumName: 'HttpExternalCapability' })
  capability: 'http:external';
  /** Hosts it may reach: `api.example.com`, `api.example.com:8443` or `*.example.com`. */
  @ApiProperty({ type: [String], minItems: 1, maxItems: 50, example: ['hooks.example.com'] })
  hosts: string[];
}

/** The OpenAPI schema of one grant: a capability name, `http:external` with hosts, or a custom scope. */
export const GRANT_SCHEMA = {
  oneOf: [
    { type: 'string', enum: PLAIN_CAPABILITIES, description: 'A capability granted by name.' },
    { $ref: getSchemaPath(HttpExternalGrantDto) },
    {
      type: 'string',
      pattern: CUSTOM_SCOPE_PATTERN,
      maxLength: CUSTOM_SCOPE_MAX_LENGTH,
      description:
        'A custom scope the manifest requests (`read:data`): recorded and shown to the plugin, enforced by nothing.',
    },
  ],
};

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}(:\d{1,5})?$/i;
const MAX_GRANTS = 20;

/** `{capability: 'http:external', hosts}` with one to 50 host patterns and nothing else: a grant or a revocation. */
export function isHttpExternalGrant(value: unknown): value is { capability: 'http:external'; hosts: string[] } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  return (
    Object.keys(o).every((k) => k === 'capability' || k === 'hosts') &&
    o.capability === 'http:external' &&
    Array.isArray(o.hosts) &&
    o.hosts.length >= 1 &&
    o.hosts.length <= 50 &&
    o.hosts.every((h) => typeof h === 'string' && h.length <= 260 && HOST.test(h))
  );
}

function isGrant(value: unknown): value is Permission {
  if (typeof value === 'string')
    return (PLAIN_CAPABILITIES as readonly string[]).includes(value) || isCustomScope(value);
  return isHttpExternalGrant(value);
}

/** A list of at most 20 grants, each a capability name, `{capability: 'http:external', hosts}` or a custom scope. */
export function IsGrantList(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isGrantList',
      validator: {
        validate: (v: unknown) => Array.isArray(v) && v.length <= MAX_GRANTS && v.every(isGrant),
        defaultMessage: () =>
          `must be a list of at most ${MAX_GRANTS} capabilities (${PLAIN_CAPABILITIES.join(', ')}) or ` +
          '{ capability: "http:external", hosts: [...] }',
      },
    },
    options,
  );
}
