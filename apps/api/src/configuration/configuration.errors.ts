import { fieldsError, namedError } from '@app/common';

export class SecretsAdminOnlyError extends namedError(
  'FORBIDDEN',
  'secrets_admin_only',
  'include_secrets is for platform administrators only',
) {
  constructor() {
    super('Only platform administrators may read secret settings in clear.');
  }
}

export class UnknownSettingError extends namedError('NOT_FOUND', 'unknown_setting', 'the plugin has no such setting') {
  constructor(key: string) {
    super(`The plugin has no setting ${key}.`, { setting: key });
  }
}

export class MetadataTooLargeError extends namedError(
  'VALIDATION_ERROR',
  'metadata_too_large',
  'the metadata would be larger than the limit',
) {
  constructor(limit: number) {
    super(`Metadata is limited to ${limit} bytes of JSON.`, { limit }, [
      { field: 'metadata', message: `must be at most ${limit} bytes as JSON` },
    ]);
  }
}

export class MetadataInvalidError extends fieldsError(
  'VALIDATION_ERROR',
  'invalid_metadata',
  'the metadata nests too deep or has a key the store cannot keep',
  'The metadata cannot be kept as it is.',
) {}
