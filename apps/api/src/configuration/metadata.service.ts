import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import { InstallationsService, type TargetQuery } from '../installation/installations.service.js';
import type { FieldError } from '@app/common';
import { MetadataInvalidError, MetadataTooLargeError } from './configuration.errors.js';

/** The most metadata one installation keeps, as UTF-8 JSON. */
export const METADATA_MAX_BYTES = 16 * 1024;
/** How deep objects and arrays may nest inside the metadata object (the object itself is depth 1). */
export const METADATA_MAX_DEPTH = 8;
const MAX_KEY = 200;

/**
 * What keeps `metadata` from being stored as given, each with its path: objects or arrays nested deeper than
 * METADATA_MAX_DEPTH, and keys the document store refuses or treats specially (a leading `$`, a `.`, NUL, empty,
 * longer than 200 characters). At most 20 are reported.
 */
export function metadataProblems(metadata: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const walk = (value: unknown, path: string, depth: number): void => {
    if (errors.length >= 20 || value === null || typeof value !== 'object') return;
    if (depth > METADATA_MAX_DEPTH) {
      errors.push({ field: path, message: `nests deeper than ${METADATA_MAX_DEPTH} levels` });
      return;
    }
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (errors.length >= 20) return;
      if (!key || key.length > MAX_KEY || key.startsWith('$') || key.includes('.') || key.includes('\0')) {
        errors.push({
          field: `${path}.${key.slice(0, 50)}`,
          message: `keys must be 1-${MAX_KEY} characters, without a leading $, a dot or NUL`,
        });
        continue;
      }
      walk(v, `${path}.${key}`, depth + 1);
    }
  };
  walk(metadata, 'metadata', 1);
  return errors;
}

export interface MetadataView {
  metadata: Record<string, unknown>;
  updatedAt: Date;
}

/**
 * InvenTree's metadata of an installation: a free-form JSON object for clients (labels, UI state), kept on the
 * installation, never read by the platform or the plugin. PUT replaces it, PATCH merges its top-level keys; the
 * result is limited to METADATA_MAX_BYTES.
 */
@Injectable()
export class MetadataService {
  constructor(private readonly installations: InstallationsService) {}

  async get(caller: AuthUser, key: string, query: TargetQuery): Promise<MetadataView> {
    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    return { metadata: installation.metadata, updatedAt: installation.updatedAt };
  }

  async write(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    given: Record<string, unknown>,
    mode: 'replace' | 'merge',
  ): Promise<MetadataView> {
    return this.installations.whileManaging(caller, key, query, async (installation) => {
      const metadata = mode === 'replace' ? { ...given } : { ...installation.metadata, ...given };
      const problems = metadataProblems(given);
      if (problems.length) throw new MetadataInvalidError(problems);
      if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > METADATA_MAX_BYTES) {
        throw new MetadataTooLargeError(METADATA_MAX_BYTES);
      }
      const written = await this.installations.writeMetadata(installation, metadata);
      return { metadata: written.metadata, updatedAt: written.updatedAt };
    });
  }
}
