/**
 * The installation module's binding of SEALED_SECRETS (secrets/secrets.ports.ts) on its own, for processes that
 * rotate the secret key without the rest of the app (scripts/secrets-rotate.ts). The app binds the same port in
 * InstallationPersistenceModule.
 */
export { SealedSecretsModule } from './persistence/sealed-secrets.module.js';
