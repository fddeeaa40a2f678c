import { RouteConfig } from '@nestjs/platform-fastify';

/**
 * The body limit of every route that does not take an upload. The largest of these bodies (a review,
 * an organisation) is a few kilobytes; anything near this limit is not a request the API can use.
 */
export const DEFAULT_BODY_BYTES = 64 * 1024;

/** Fastify route config key read by the onRoute hook (see installBodyGuards). */
export const BODY_PROFILE_CONFIG = 'plughubBodyProfile';

/** Which body limit a route gets: the small default or the configured upload limit. */
export type BodyProfile = 'default' | 'upload';

/**
 * Marks a route that takes an upload-sized body (a plugin package); every other route gets
 * DEFAULT_BODY_BYTES. The limit itself is configuration (PLUGHUB_MAX_UPLOAD_BYTES). Such a route is
 * authenticated: a request without an Authorization header is refused before its body is read.
 */
export function UploadBody() {
  return RouteConfig({ [BODY_PROFILE_CONFIG]: 'upload' satisfies BodyProfile });
}

export function bodyProfileOf(config: unknown): BodyProfile {
  const profile = (config as Record<string, unknown> | undefined)?.[BODY_PROFILE_CONFIG];
  return profile === 'upload' ? 'upload' : 'default';
}
