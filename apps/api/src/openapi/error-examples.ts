import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '@app/common';

interface ErrorSample {
  message: string;
  errors?: Array<{ field: string; message: string }>;
  details?: Record<string, unknown>;
}

/** What each catalogue code looks like in an answer; a new code needs a line here (the type says so). */
const SAMPLES: Record<ErrorCode, ErrorSample> = {
  VALIDATION_ERROR: {
    message: 'The request is invalid.',
    errors: [{ field: 'email', message: 'email must be an email' }],
  },
  PLUGIN_INCOMPATIBLE: { message: 'plughub.hello 2.0.0 needs Plughub >=2.0.0.' },
  PLUGIN_CONFIGURATION_ERROR: {
    message: 'The configuration is invalid.',
    errors: [{ field: 'config.greeting', message: 'must be a string' }],
  },
  UNAUTHENTICATED: { message: 'Authentication required.' },
  FORBIDDEN: {
    message: "Only the plugin's owners (or a platform admin) may change it.",
    details: { reason: 'not_owner' },
  },
  PLUGIN_PERMISSION_DENIED: { message: 'The plugin lacks the capability storage:write.' },
  NOT_FOUND: { message: 'Organisation not found.' },
  PLUGIN_NOT_FOUND: { message: 'Plugin not found.' },
  METHOD_NOT_ALLOWED: { message: 'PUT is not supported on this path.', details: { allow: ['GET', 'HEAD', 'PATCH'] } },
  PLUGIN_COMMUNICATION_TIMEOUT: { message: 'plughub.hello did not answer within 2000 ms.' },
  CONFLICT: { message: 'The plugin key ada.hello-world is already taken.', details: { reason: 'key_taken' } },
  PLUGIN_ALREADY_INSTALLED: { message: 'plughub.hello is already installed here.' },
  PLUGIN_KILLED: { message: 'plughub.hello is disabled on this platform by an administrator.' },
  PLUGIN_DEPENDENCY_ERROR: { message: 'plughub.counter is needed by an installed plugin.' },
  URI_TOO_LONG: { message: 'A path parameter is longer than 100 characters.' },
  UNSUPPORTED_MEDIA_TYPE: { message: 'Request bodies must be JSON (Content-Type: application/json).' },
  LIMIT_EXCEEDED: {
    message: 'The package is larger than the upload limit of 5242880 bytes.',
    details: { reason: 'package_too_large' },
  },
  RATE_LIMITED: { message: 'Too many failed logins; try again later.' },
  INTERNAL: { message: 'Something went wrong on our side; quote the request id.' },
  PLUGIN_INSTALLATION_FAILED: { message: 'Installing plughub.hello failed and was rolled back.' },
  PLUGIN_STARTUP_FAILED: { message: 'plughub.hello failed to start: onInit threw.' },
};

/**
 * The examples of one shared error response: one per catalogue code with that status, each with its real code and
 * status (Swagger UI otherwise shows `VALIDATION_ERROR` with status 0 everywhere).
 */
export function errorExamples(status: number): Record<string, { summary: string; value: Record<string, unknown> }> {
  const codes = ERROR_CODES.filter((code) => ERROR_STATUS[code] === status);
  if (!codes.length) throw new Error(`No catalogue code answers with ${status}`);
  return Object.fromEntries(
    codes.map((code) => {
      const sample = SAMPLES[code];
      return [
        code,
        {
          summary: code,
          value: {
            code,
            message: sample.message,
            status,
            errors: sample.errors ?? [],
            details: sample.details ?? {},
            request_id: '5f0c6a0e-2d5b-4c1e-9a43-3b1f1f6f8e21',
          },
        },
      ];
    }),
  );
}
