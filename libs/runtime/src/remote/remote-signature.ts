import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-plughub-timestamp';
export const SIGNATURE_HEADER = 'x-plughub-signature';
/** Same value on every retry of one call, so a remote plugin can drop duplicates. */
export const DELIVERY_HEADER = 'x-plughub-delivery';
export const INSTALLATION_HEADER = 'x-plughub-installation';

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`); timestamp in Unix seconds. */
export function signRemoteRequest(secret: string, timestamp: string | number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * What a remote plugin (or a test server) does with an incoming call: recompute the signature in constant time and
 * refuse timestamps more than `toleranceSeconds` away from now, which bounds replays.
 */
export function verifyRemoteSignature(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signRemoteRequest(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
