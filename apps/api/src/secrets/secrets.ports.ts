/** One sealed value kept somewhere, with the context it was sealed for (what a re-seal must bind it to again). */
export interface SealedSecret {
  collection: 'installations' | 'retained_settings';
  /** The document's id. */
  id: string;
  /** Where in the document the value is (dotted). */
  path: string;
  context: string;
  sealed: string;
}

/** Every sealed value the platform keeps (bound by the installation module, which owns them), for a key rotation. */
export interface SealedSecretStore {
  /** Every sealed value, document by document in id order. */
  all(): AsyncIterable<SealedSecret>;
  /** Replaces one sealed value if it is still the one read (compare-and-set); false when it changed meanwhile. */
  replace(secret: SealedSecret, sealed: string): Promise<boolean>;
}

export const SEALED_SECRETS = Symbol('SEALED_SECRETS');
