import { ScryptPasswordHasher } from '../../apps/api/src/users/password-hasher.js';

/**
 * The production hasher at a low cost (scrypt N=2^10 instead of 2^17): the same code, milliseconds instead of
 * a tenth of a second per hash. Specs and e2e apps use it; the cost travels with each hash, so verifying works.
 */
export const fastHasher = () => new ScryptPasswordHasher({ concurrency: 4, cost: 1 << 10 });
