/* eslint-disable */
export default async () => {
  const t = {
    ['../../../libs/common/src/errors/error-response.dto.js']:
      await import('../../../libs/common/src/errors/error-response.dto.js'),
    ['./health/dto/health.dto.js']: await import('./health/dto/health.dto.js'),
    ['./meta/dto/version.dto.js']: await import('./meta/dto/version.dto.js'),
    ['./users/dto/user-response.dto.js']: await import('./users/dto/user-response.dto.js'),
    ['./auth/dto/token-response.dto.js']: await import('./auth/dto/token-response.dto.js'),
    ['./auth/dto/api-token.dto.js']: await import('./auth/dto/api-token.dto.js'),
    ['./orgs/dto/org.dto.js']: await import('./orgs/dto/org.dto.js'),
  };
  return {
    '@nestjs/swagger': {
      models: [
        [
          import('../../../libs/common/src/errors/error-response.dto.js'),
          {
            FieldErrorDto: {
              field: {
                required: true,
                type: () => String,
                description: 'Dotted path of the offending field, e.g. `config.batch_size`.',
              },
              message: { required: true, type: () => String, description: 'What is wrong with it.' },
            },
            ErrorResponseDto: {
              code: {
                required: true,
                description: 'Machine-readable error code from the catalogue.',
                enum: [
                  'VALIDATION_ERROR',
                  'PLUGIN_INCOMPATIBLE',
                  'PLUGIN_CONFIGURATION_ERROR',
                  'UNAUTHENTICATED',
                  'FORBIDDEN',
                  'PLUGIN_PERMISSION_DENIED',
                  'NOT_FOUND',
                  'PLUGIN_NOT_FOUND',
                  'PLUGIN_COMMUNICATION_TIMEOUT',
                  'CONFLICT',
                  'PLUGIN_ALREADY_INSTALLED',
                  'PLUGIN_DEPENDENCY_ERROR',
                  'LIMIT_EXCEEDED',
                  'RATE_LIMITED',
                  'INTERNAL',
                  'PLUGIN_INSTALLATION_FAILED',
                  'PLUGIN_STARTUP_FAILED',
                ],
              },
              message: { required: true, type: () => String, description: 'A human sentence describing the error.' },
              status: {
                required: true,
                type: () => Number,
                description: 'The HTTP status, repeated for clients that only see the body.',
              },
              errors: {
                required: true,
                type: () => [t['../../../libs/common/src/errors/error-response.dto.js'].FieldErrorDto],
                description: 'One entry per invalid field; empty when the error is not about fields.',
              },
              details: {
                required: true,
                type: 'object',
                additionalProperties: true,
                description: 'Extra structured context, specific to the code.',
              },
              request_id: {
                required: true,
                type: () => String,
                description: 'The id of the request, also sent as the X-Request-Id header and written to the logs.',
              },
            },
          },
        ],
        [
          import('../../../libs/common/src/pagination/pagination-query.dto.js'),
          {
            PaginationQueryDto: {
              limit: {
                required: false,
                type: () => Number,
                description: 'Number of results to return per page. Values above the maximum are clamped to it.',
              },
              offset: {
                required: false,
                type: () => Number,
                description: 'The initial index from which to return the results.',
              },
            },
          },
        ],
        [
          import('./users/dto/create-user.dto.js'),
          {
            CreateUserDto: {
              email: {
                required: true,
                type: () => String,
                description: 'Login email address; must not be taken.',
                maxLength: 254,
                format: 'email',
              },
              password: {
                required: true,
                type: () => String,
                description: 'Password, at least 8 characters.',
                minLength: 8,
                maxLength: 256,
              },
              name: { required: true, type: () => String, description: 'Display name.', minLength: 1, maxLength: 200 },
              roles: {
                required: false,
                type: () => [Object],
                description: 'Platform roles; defaults to `["user"]`.',
                enum: ['admin', 'reviewer', 'publisher', 'user'],
                isArray: true,
                uniqueItems: true,
              },
            },
          },
        ],
        [
          import('./users/dto/patched-user.dto.js'),
          {
            PatchedUserDto: {
              name: { required: false, type: () => String, description: 'Display name.', minLength: 1, maxLength: 200 },
              password: {
                required: false,
                type: () => String,
                description: 'A new password, at least 8 characters.',
                minLength: 8,
                maxLength: 256,
              },
              roles: {
                required: false,
                type: () => [Object],
                description: 'Platform roles (admins only).',
                enum: ['admin', 'reviewer', 'publisher', 'user'],
                isArray: true,
                uniqueItems: true,
              },
              is_active: {
                required: false,
                type: () => Boolean,
                description: 'Deactivate or reactivate the account (admins only).',
              },
            },
          },
        ],
        [
          import('./users/dto/user-list-query.dto.js'),
          {
            UserListQueryDto: {
              search: {
                required: false,
                type: () => String,
                description: 'Case-insensitive match on email or name.',
                maxLength: 200,
              },
              role: {
                required: false,
                description: 'Only users with this role.',
                enum: ['admin', 'reviewer', 'publisher', 'user'],
              },
              is_active: { required: false, type: () => Boolean },
              ordering: {
                required: false,
                description: 'Which field to use when ordering the results.',
                enum: ['name', 'email', 'created_at', '-email', '-name', '-created_at'],
              },
            },
          },
        ],
        [
          import('./users/dto/user-response.dto.js'),
          {
            UserResponseDto: {
              id: { required: true, type: () => String, description: 'Unique id of the user.' },
              email: {
                required: true,
                type: () => String,
                description: 'Login email address, unique on this instance.',
              },
              name: { required: true, type: () => String, description: 'Display name.' },
              roles: {
                required: true,
                type: () => [Object],
                description: 'Platform roles; `admin` implies all others.',
                enum: ['admin', 'reviewer', 'publisher', 'user'],
                isArray: true,
              },
              is_active: {
                required: true,
                type: () => Boolean,
                description: 'Inactive users cannot log in and their tokens stop working.',
              },
              last_login_at: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'When the user last obtained a token with their password.',
              },
              created_at: { required: true, type: () => String, description: 'When the user was created.' },
            },
          },
        ],
        [
          import('./users/dto/register-user.dto.js'),
          {
            RegisterUserDto: {
              email: {
                required: true,
                type: () => String,
                description: 'Login email address; must not be taken.',
                maxLength: 254,
                format: 'email',
              },
              password: {
                required: true,
                type: () => String,
                description: 'Password, at least 8 characters.',
                minLength: 8,
                maxLength: 256,
              },
              name: { required: true, type: () => String, description: 'Display name.', minLength: 1, maxLength: 200 },
            },
          },
        ],
        [
          import('./auth/dto/api-token.dto.js'),
          {
            CreateApiTokenDto: {
              name: {
                required: true,
                type: () => String,
                description: 'A label to recognise the token by, e.g. "CI deploy".',
                minLength: 1,
                maxLength: 100,
              },
              scopes: {
                required: false,
                type: () => [Object],
                description: "Restrict the token; omitted or empty means all of the user's rights.",
                enum: ['admin', 'read', 'write'],
                isArray: true,
                uniqueItems: true,
              },
              expires_at: {
                required: false,
                type: () => String,
                description: 'When the token stops working (ISO 8601); omitted means never.',
              },
            },
            ApiTokenResponseDto: {
              id: { required: true, type: () => String, description: 'Token id, used to revoke it.' },
              name: { required: true, type: () => String, description: 'The label given at creation.' },
              key_prefix: {
                required: true,
                type: () => String,
                description: 'The first characters of the key, to tell tokens apart.',
              },
              scopes: {
                required: true,
                type: () => [Object],
                description: "Scopes the token is limited to; empty means all of the user's rights.",
                enum: ['admin', 'read', 'write'],
                isArray: true,
              },
              expires_at: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'When the token stops working, or null for never.',
              },
              last_used_at: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'When the token was last used (minute precision), or null.',
              },
              created_at: { required: true, type: () => String, description: 'When the token was created.' },
            },
            CreatedApiTokenResponseDto: {
              id: { required: true, type: () => String, description: 'Token id, used to revoke it.' },
              name: { required: true, type: () => String, description: 'The label given at creation.' },
              key: {
                required: true,
                type: () => String,
                description: 'The secret key; send it as `Authorization: Token <key>`. Shown only in this response.',
              },
              scopes: {
                required: true,
                type: () => [Object],
                description: "Scopes the token is limited to; empty means all of the user's rights.",
                enum: ['admin', 'read', 'write'],
                isArray: true,
              },
              expires_at: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'When the token stops working, or null for never.',
              },
              created_at: { required: true, type: () => String, description: 'When the token was created.' },
            },
          },
        ],
        [
          import('./auth/dto/token-request.dto.js'),
          {
            TokenRequestDto: {
              email: {
                required: false,
                type: () => String,
                description: 'Login email address.',
                maxLength: 254,
                format: 'email',
              },
              password: { required: false, type: () => String, description: 'Password.', maxLength: 256 },
            },
          },
        ],
        [
          import('./auth/dto/token-response.dto.js'),
          {
            TokenResponseDto: {
              access_token: {
                required: true,
                type: () => String,
                description: 'A JWT to send as `Authorization: Bearer <token>`.',
              },
              token_type: { required: true, description: 'Always `Bearer`.', enum: ['Bearer'] },
              expires_in: { required: true, type: () => Number, description: 'Seconds until the token expires.' },
            },
          },
        ],
        [
          import('./health/dto/health.dto.js'),
          {
            LivenessResponseDto: {
              status: { required: true, description: 'Always `ok` when the process answers.', enum: ['ok'] },
              version: { required: true, type: () => String, description: 'The server release.' },
              api_version: { required: true, type: () => Number, description: 'The integer API version.' },
              uptime_seconds: {
                required: true,
                type: () => Number,
                description: 'Seconds since the process started serving.',
              },
              started_at: { required: true, type: () => String, description: 'When the process started serving.' },
            },
            DependencyCheckDto: {
              status: {
                required: true,
                description: '`up` when the dependency answered, `down` otherwise.',
                enum: ['up', 'down'],
              },
              latency_ms: {
                required: true,
                type: () => Number,
                description: 'Round-trip time of the check in milliseconds.',
              },
              error: { required: false, type: () => String, description: 'Why the check failed, when it did.' },
            },
            ReadinessChecksDto: {
              database: {
                required: true,
                type: () => t['./health/dto/health.dto.js'].DependencyCheckDto,
                description: 'A `ping` to the database.',
              },
            },
            ReadinessResponseDto: {
              status: {
                required: true,
                description: '`ready` when every dependency is up (HTTP 200), else `unavailable` (HTTP 503).',
                enum: ['ready', 'unavailable'],
              },
              checks: {
                required: true,
                type: () => t['./health/dto/health.dto.js'].ReadinessChecksDto,
                description: 'One entry per dependency.',
              },
            },
          },
        ],
        [
          import('./meta/dto/schema-query.dto.js'),
          {
            SchemaQueryDto: {
              format: {
                required: false,
                description: 'Serialisation of the document; JSON by default.',
                enum: ['json', 'yaml'],
              },
            },
          },
        ],
        [
          import('./meta/dto/version.dto.js'),
          {
            VersionResponseDto: {
              server: { required: true, type: () => String, description: 'The server release (package version).' },
              api: {
                required: true,
                type: () => Number,
                description: 'The integer API version; see GET /api/version-text/ for what each version changed.',
              },
              node: { required: true, type: () => String, description: 'The Node.js version the server runs on.' },
              database: {
                required: true,
                description: 'Which database backs this instance.',
                enum: ['embedded', 'mongodb'],
              },
            },
            VersionTextEntryDto: {
              version: { required: true, type: () => Number, description: 'API version number.' },
              date: { required: true, type: () => String, description: 'Release date (YYYY-MM-DD).' },
              changes: { required: true, type: () => [String], description: 'What changed in this version.' },
            },
            VersionTextResponseDto: {
              api: { required: true, type: () => Number, description: 'The current API version.' },
              entries: {
                required: true,
                type: () => [t['./meta/dto/version.dto.js'].VersionTextEntryDto],
                description: 'Changelog entries, newest first.',
              },
            },
          },
        ],
        [
          import('./orgs/dto/org.dto.js'),
          {
            CreateOrgDto: {
              slug: {
                required: true,
                type: () => String,
                description: 'URL-safe handle: lower-case letters, digits and dashes; used as `{org}` in paths.',
                pattern: '^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$',
              },
              name: { required: true, type: () => String, description: 'Display name.', minLength: 1, maxLength: 200 },
              description: {
                required: false,
                type: () => String,
                description: 'What the organisation is.',
                maxLength: 2000,
              },
            },
            OrgListQueryDto: {
              search: {
                required: false,
                type: () => String,
                description: 'Case-insensitive match on slug or name.',
                maxLength: 200,
              },
            },
            OrgResponseDto: {
              id: { required: true, type: () => String, description: 'Unique id.' },
              slug: { required: true, type: () => String, description: 'URL-safe handle used as `{org}` in paths.' },
              name: { required: true, type: () => String, description: 'Display name.' },
              description: { required: true, type: () => String, description: 'What the organisation is.' },
              my_role: {
                required: true,
                nullable: true,
                description:
                  "The caller's role in it, or null when the caller is a platform admin who is not a member.",
                enum: ['admin', 'owner', 'member'],
              },
              created_at: { required: true, type: () => String, description: 'When it was created.' },
            },
            AddMemberDto: {
              user: {
                required: true,
                type: () => String,
                description: 'The user to add: their id or email address.',
                minLength: 1,
                maxLength: 254,
              },
              role: {
                required: false,
                description:
                  'Their role in the organisation; defaults to member. Setting it on an existing member changes it.',
                enum: ['admin', 'owner', 'member'],
              },
            },
            MemberResponseDto: {
              user_id: { required: true, type: () => String, description: "The member's user id." },
              email: { required: true, type: () => String, description: "The member's email address." },
              name: { required: true, type: () => String, description: "The member's display name." },
              role: { required: true, description: 'Role in the organisation.', enum: ['admin', 'owner', 'member'] },
              joined_at: { required: true, type: () => String, description: 'When they joined.' },
            },
          },
        ],
      ],
      controllers: [
        [
          import('./users/users.controller.js'),
          {
            UsersController: {
              list: {},
              create: { type: t['./users/dto/user-response.dto.js'].UserResponseDto },
              retrieve: { type: t['./users/dto/user-response.dto.js'].UserResponseDto },
              partialUpdate: { type: t['./users/dto/user-response.dto.js'].UserResponseDto },
            },
          },
        ],
        [
          import('./auth/auth.controller.js'),
          {
            AuthController: {
              token: { type: t['./auth/dto/token-response.dto.js'].TokenResponseDto },
              me: { type: t['./users/dto/user-response.dto.js'].UserResponseDto },
              register: { type: t['./users/dto/user-response.dto.js'].UserResponseDto },
              listTokens: {},
              createToken: { type: t['./auth/dto/api-token.dto.js'].CreatedApiTokenResponseDto },
              revokeToken: {},
            },
          },
        ],
        [
          import('./health/health.controller.js'),
          {
            HealthController: {
              liveness: { type: t['./health/dto/health.dto.js'].LivenessResponseDto },
              readiness: { type: t['./health/dto/health.dto.js'].ReadinessResponseDto },
            },
          },
        ],
        [
          import('./meta/meta.controller.js'),
          {
            MetaController: {
              version: { type: t['./meta/dto/version.dto.js'].VersionResponseDto },
              versionText: { type: t['./meta/dto/version.dto.js'].VersionTextResponseDto },
              schema: {},
            },
          },
        ],
        [
          import('./orgs/orgs.controller.js'),
          {
            OrgsController: {
              list: {},
              create: { type: t['./orgs/dto/org.dto.js'].OrgResponseDto },
              retrieve: { type: t['./orgs/dto/org.dto.js'].OrgResponseDto },
              listMembers: {},
              addMember: { type: t['./orgs/dto/org.dto.js'].MemberResponseDto },
              removeMember: {},
            },
          },
        ],
      ],
    },
  };
};
