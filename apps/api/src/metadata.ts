/* eslint-disable */
export default async () => {
  const t = {
    ['../../../libs/common/src/errors/error-response.dto.js']:
      await import('../../../libs/common/src/errors/error-response.dto.js'),
    ['./health/dto/health.dto.js']: await import('./health/dto/health.dto.js'),
    ['./meta/dto/version.dto.js']: await import('./meta/dto/version.dto.js'),
    ['./registry/dto/plugin-version.dto.js']: await import('./registry/dto/plugin-version.dto.js'),
    ['./registry/dto/plugin-response.dto.js']: await import('./registry/dto/plugin-response.dto.js'),
    ['./registry/dto/publish-plugin.dto.js']: await import('./registry/dto/publish-plugin.dto.js'),
    ['./users/dto/user-response.dto.js']: await import('./users/dto/user-response.dto.js'),
    ['./auth/dto/token-response.dto.js']: await import('./auth/dto/token-response.dto.js'),
    ['./auth/dto/api-token.dto.js']: await import('./auth/dto/api-token.dto.js'),
    ['./orgs/dto/org.dto.js']: await import('./orgs/dto/org.dto.js'),
    ['./registry/dto/plugin-review.dto.js']: await import('./registry/dto/plugin-review.dto.js'),
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
        [import('./users/dto/register-user.dto.js'), { RegisterUserDto: {} }],
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
        [
          import('./registry/dto/plugin-review.dto.js'),
          {
            CreatePluginReviewDto: {
              rating: { required: true, type: () => Number },
              text: { required: false, type: () => String, description: 'What you think of it.', maxLength: 5000 },
            },
            PluginReviewResponseDto: {
              id: { required: true, type: () => String, description: 'Unique id.' },
              plugin: { required: true, type: () => String, description: 'The plugin key.' },
              user_id: { required: true, type: () => String, description: 'Who wrote it (user id).' },
              user_name: { required: true, type: () => String, description: 'Their display name.' },
              rating: { required: true, type: () => Number, description: 'Rating from 1 to 5.' },
              text: { required: true, type: () => String, description: 'Review text.' },
              created_at: { required: true, type: () => String, description: 'When it was first written.' },
              updated_at: { required: true, type: () => String, description: 'When it was last changed.' },
            },
          },
        ],
        [
          import('./registry/dto/patched-plugin.dto.js'),
          {
            PatchedPluginDto: {
              name: { required: false, type: () => String, description: 'Display name.', minLength: 1, maxLength: 100 },
              description: {
                required: false,
                type: () => String,
                description: 'What the plugin does.',
                minLength: 1,
                maxLength: 2000,
              },
              category: {
                required: false,
                type: () => String,
                nullable: true,
                description: 'Category (lower-case letters, digits and dashes), or null.',
                pattern: '^[a-z0-9][a-z0-9-]{0,49}$',
              },
              tags: {
                required: false,
                type: () => [String],
                description: 'Tags.',
                maxLength: 50,
                uniqueItems: true,
                maxItems: 20,
              },
              homepage: {
                required: false,
                type: () => String,
                nullable: true,
                description: 'Homepage URL, or null.',
                format: 'uri',
              },
              repository: {
                required: false,
                type: () => String,
                nullable: true,
                description: 'Source repository URL, or null.',
                format: 'uri',
              },
              scope: {
                required: false,
                description:
                  'Visibility. Org scope needs an organisation owner; org and public scope need the publisher role.',
                enum: ['public', 'org', 'private'],
              },
            },
          },
        ],
        [
          import('./registry/dto/plugin-list-query.dto.js'),
          {
            PluginListQueryDto: {
              search: {
                required: false,
                type: () => String,
                description: 'Case-insensitive substring of the key, name, description or a tag.',
                maxLength: 200,
              },
              category: {
                required: false,
                type: () => String,
                description: 'Only plugins in this category.',
                maxLength: 100,
              },
              tags: {
                required: false,
                type: () => [String],
                description: 'Only plugins carrying all of these tags (comma-separated).',
                maxItems: 20,
              },
              author: {
                required: false,
                type: () => String,
                description: 'Only plugins whose manifest author is this (case-insensitive).',
                maxLength: 200,
              },
              scope: {
                required: false,
                description: 'Only plugins with this scope.',
                enum: ['public', 'org', 'private'],
              },
              verified: { required: false, type: () => Boolean },
              min_rating: {
                required: false,
                type: () => Number,
                description: 'Only plugins rated at least this (1-5).',
                minimum: 0,
                maximum: 5,
              },
              installed: { required: false, type: () => Boolean },
              active: { required: false, type: () => Boolean },
              builtin: { required: false, type: () => Boolean },
              sample: { required: false, type: () => Boolean },
              mixin: { required: false, type: () => String, description: 'Only plugins with this mixin.' },
              ordering: {
                required: false,
                description: 'Which field to use when ordering the results; defaults to `key`.',
                enum: [
                  'key',
                  'name',
                  'updated_at',
                  '-name',
                  'downloads',
                  'rating',
                  '-key',
                  '-downloads',
                  '-rating',
                  '-updated_at',
                ],
              },
            },
          },
        ],
        [
          import('./registry/dto/plugin-version.dto.js'),
          {
            VersionFileDto: {
              role: { required: true, description: 'Which file it is.', enum: ['icon', 'runner', 'readme', 'shape'] },
              path: { required: true, type: () => String, description: 'Path inside the package (below `package/`).' },
              size: { required: true, type: () => Number, description: 'Size in bytes.' },
              sha256: { required: true, type: () => String, description: 'sha256 of the file, lower-case hex.' },
            },
            PluginVersionResponseDto: {
              key: { required: true, type: () => String, description: 'The plugin key.' },
              version: {
                required: true,
                type: () => String,
                description: 'Semantic version, unique per plugin forever.',
              },
              prerelease: {
                required: true,
                type: () => Boolean,
                description: 'Has a prerelease part (`1.0.0-beta.1`).',
              },
              status: {
                required: true,
                description: 'Review status: draft, pending, approved or rejected.',
                enum: ['draft', 'pending', 'approved', 'rejected'],
              },
              tags: { required: true, type: () => [String], description: 'dist-tags pointing at this version.' },
              manifest: {
                required: true,
                type: 'object',
                additionalProperties: true,
                description: 'The manifest as published.',
              },
              files: {
                required: true,
                type: () => [t['./registry/dto/plugin-version.dto.js'].VersionFileDto],
                description: 'The files in the artifact besides the manifest.',
              },
              size: { required: true, type: () => Number, description: 'Artifact size in bytes.' },
              checksum: { required: true, type: () => String, description: 'sha256 of the artifact, lower-case hex.' },
              integrity: {
                required: true,
                type: () => String,
                description: 'Subresource Integrity of the artifact (`sha512-<base64>`); also its download ETag.',
              },
              deprecated: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'Deprecation message, or null.',
              },
              yanked: {
                required: true,
                type: () => Boolean,
                description: 'Withdrawn: never chosen by a dist-tag, still downloadable by exact version.',
              },
              downloads: { required: true, type: () => Number, description: 'Artifact downloads of this version.' },
              review_notes: {
                required: true,
                type: () => String,
                nullable: true,
                description: "Reviewer's notes, shown to the plugin's managers only (null otherwise).",
              },
              reviewed_at: { required: true, type: () => String, nullable: true, description: 'When it was reviewed.' },
              published_at: { required: true, type: () => String, description: 'When it was published.' },
            },
            PatchedPluginVersionDto: {
              deprecated: {
                required: false,
                type: () => String,
                nullable: true,
                description: 'Deprecate with this message, or null to undeprecate.',
                minLength: 1,
                maxLength: 1000,
              },
              yanked: {
                required: false,
                type: () => Boolean,
                description: 'Yank (true) or restore (false) the version.',
              },
              status: {
                required: false,
                description: '`pending` submits a draft for review; no other value may be set here.',
                enum: ['pending'],
              },
            },
          },
        ],
        [
          import('./registry/dto/plugin-response.dto.js'),
          {
            PluginOwnerDto: {
              type: {
                required: true,
                description: '`user`, `org`, or `system` for the plugins shipped with the server.',
                enum: ['system', 'user', 'org'],
              },
              id: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'User id or organisation id; null for system plugins.',
              },
              name: { required: true, type: () => String, description: 'User name, organisation slug, or `system`.' },
            },
            PluginStatsDto: {
              downloads: { required: true, type: () => Number, description: 'Artifact downloads, over all versions.' },
              installations: { required: true, type: () => Number, description: 'Installations in every target.' },
              rating: {
                required: true,
                type: () => Number,
                description: 'Average rating (1-5, two decimals), 0 when unrated.',
              },
              reviews: { required: true, type: () => Number, description: 'Number of ratings.' },
            },
            DistTagsDto: {
              latest: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'The newest approved, non-yanked release.',
              },
              next: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'The newest approved, non-yanked prerelease.',
              },
            },
            PluginMetaDto: {
              author: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'Author named in the manifest.',
              },
              description: { required: true, type: () => String, description: 'Short description.' },
              human_name: { required: true, type: () => String, description: 'Display name.' },
              license: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'Licence named in the manifest.',
              },
              pub_date: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'When the newest version was published.',
              },
              version: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'The version the listing describes.',
              },
              website: { required: true, type: () => String, nullable: true, description: 'Homepage URL.' },
            },
            PluginMixinDto: {
              key: { required: true, type: () => String, description: 'Mixin key.' },
              human_name: { required: true, type: () => String, description: 'Display name.' },
            },
            PluginResponseDto: {
              key: { required: true, type: () => String, description: '`publisher.name`, unique.' },
              name: { required: true, type: () => String, description: 'Display name.' },
              description: { required: true, type: () => String, description: 'What the plugin does.' },
              category: { required: true, type: () => String, nullable: true, description: 'Category.' },
              tags: { required: true, type: () => [String], description: 'Tags.' },
              homepage: { required: true, type: () => String, nullable: true, description: 'Homepage URL.' },
              repository: { required: true, type: () => String, nullable: true, description: 'Source repository URL.' },
              icon: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'Path of the icon file inside the package.',
              },
              owner: {
                required: true,
                type: () => t['./registry/dto/plugin-response.dto.js'].PluginOwnerDto,
                description: 'Who owns it.',
              },
              scope: {
                required: true,
                description:
                  'Who may see it: private (owner), org (members of the owning organisation), public (everyone).',
                enum: ['public', 'org', 'private'],
              },
              status: {
                required: true,
                description: '`approved` once a version is approved, else the review status of the newest version.',
                enum: ['draft', 'pending', 'approved', 'rejected'],
              },
              verified: { required: true, type: () => Boolean, description: "Checked by the platform's reviewers." },
              killed: { required: true, type: () => Boolean, description: 'Disabled everywhere by an administrator.' },
              latest_version: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'The `latest` dist-tag.',
              },
              dist_tags: {
                required: true,
                type: () => t['./registry/dto/plugin-response.dto.js'].DistTagsDto,
                description: 'dist-tags.',
              },
              stats: {
                required: true,
                type: () => t['./registry/dto/plugin-response.dto.js'].PluginStatsDto,
                description: 'Usage figures.',
              },
              source: {
                required: true,
                description:
                  'Where it comes from: `store` (published through the API) or `builtin` (shipped in plugins/).',
                enum: ['store', 'builtin'],
              },
              active: { required: true, type: () => Boolean, description: 'Installed for you and active.' },
              is_builtin: {
                required: true,
                type: () => Boolean,
                description: 'Shipped with the server and always registered.',
              },
              is_sample: {
                required: true,
                type: () => Boolean,
                description: 'A sample shipped with the server, registered when PLUGHUB_SAMPLES is on.',
              },
              is_installed: {
                required: true,
                type: () => Boolean,
                description: 'Installed for you (by you, one of your organisations, or globally).',
              },
              is_package: {
                required: true,
                type: () => Boolean,
                description: 'Distributed as a registry package (false for the plugins shipped with the server).',
              },
              meta: {
                required: true,
                type: () => t['./registry/dto/plugin-response.dto.js'].PluginMetaDto,
                description: 'Plugin metadata.',
              },
              mixins: {
                required: true,
                type: 'object',
                additionalProperties: true,
                description: 'Capability families the plugin uses, by key.',
              },
              package_name: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'Registry package name (the key) for packages; null for shipped plugins.',
              },
              created_at: { required: true, type: () => String, description: 'When it was first published.' },
              updated_at: { required: true, type: () => String, description: 'When it last changed.' },
            },
            InstallationStateDto: {
              installed_version: { required: true, type: () => String, description: 'The installed version.' },
              status: {
                required: true,
                type: () => String,
                description: 'Installation status (installing, active, disabled, failed, killed, uninstalling).',
              },
              active: { required: true, type: () => Boolean, description: 'Whether it runs.' },
              scope: {
                required: true,
                description: 'The target it is installed into.',
                enum: ['user', 'global', 'org'],
              },
            },
            PluginVersionSummaryDto: {
              version: { required: true, type: () => String, description: 'Semantic version.' },
              status: {
                required: true,
                description: 'Review status.',
                enum: ['draft', 'pending', 'approved', 'rejected'],
              },
              deprecated: {
                required: true,
                type: () => String,
                nullable: true,
                description: 'Deprecation message, or null.',
              },
              yanked: {
                required: true,
                type: () => Boolean,
                description: 'Withdrawn: never chosen by a tag or a range, still downloadable by exact version.',
              },
              published_at: { required: true, type: () => String, description: 'When it was published.' },
            },
            PluginDetailResponseDto: {
              manifest: {
                required: true,
                type: 'object',
                additionalProperties: true,
                nullable: true,
                description: 'The manifest of the version the listing describes (null if you can see no version).',
              },
              versions: {
                required: true,
                type: () => [t['./registry/dto/plugin-response.dto.js'].PluginVersionSummaryDto],
                description: 'The versions you can see, newest first.',
              },
              dependents: {
                required: true,
                type: () => [String],
                description: 'Keys of visible plugins whose latest manifest depends on this one.',
              },
              installation: {
                required: true,
                type: () => t['./registry/dto/plugin-response.dto.js'].InstallationStateDto,
                nullable: true,
                description: 'Your installation of it, or null.',
              },
            },
            PublishResultResponseDto: {
              created: {
                required: true,
                type: () => Boolean,
                description: 'True when the plugin itself was created (a new key), false when a version was added.',
              },
              plugin: {
                required: true,
                type: () => t['./registry/dto/plugin-response.dto.js'].PluginResponseDto,
                description: 'The plugin after publishing.',
              },
              version: {
                required: true,
                type: () => t['./registry/dto/plugin-version.dto.js'].PluginVersionResponseDto,
                description: 'The version just published.',
              },
            },
          },
        ],
        [
          import('./registry/dto/publish-plugin.dto.js'),
          {
            PluginFileContentDto: {
              content: {
                required: true,
                type: () => String,
                description: 'The file content, as UTF-8 text or base64.',
              },
              encoding: { required: true, description: 'How `content` is encoded.', enum: ['utf8', 'base64'] },
            },
            PluginFilesDto: {
              runner: { required: false, type: () => Object },
              readme: { required: false, type: () => Object },
              icon: { required: false, type: () => Object },
              shape: { required: false, type: () => Object },
            },
            PublishPluginDto: {
              manifest: {
                required: true,
                type: 'object',
                additionalProperties: true,
                description:
                  'The plugin manifest (see the plugin-sdk JSON Schema); its `key` and `version` name what is published.',
              },
              files: {
                required: true,
                type: () => t['./registry/dto/publish-plugin.dto.js'].PluginFilesDto,
                description: 'The package files.',
              },
              owner_org: {
                required: false,
                type: () => String,
                description:
                  'For a new plugin: the organisation (slug or id) that owns it; you must be one of its owners or admins.',
                minLength: 1,
                maxLength: 100,
              },
              scope: {
                required: false,
                description:
                  'Visibility; for a new plugin defaults to private. Org and public scope need the publisher role.',
                enum: ['public', 'org', 'private'],
              },
              draft: {
                required: false,
                type: () => Boolean,
                description: 'Keep the version as a draft (not submitted for review); submit it later with PATCH.',
              },
            },
          },
        ],
        [
          import('./registry/dto/repository-response.dto.js'),
          {
            RepositoryResponseDto: {
              name: { required: true, type: () => String, description: 'Short name.' },
              description: { required: true, type: () => String, description: 'What it is.' },
              url: { required: true, type: () => String, description: 'Where its catalog is served.' },
              kind: { required: true, description: "`local`: this instance's own registry.", enum: ['local'] },
              enabled: { required: true, type: () => Boolean, description: 'Whether it is used.' },
              plugin_count: { required: true, type: () => Number, description: 'Plugins in it that you can see.' },
              last_sync: {
                required: true,
                type: () => String,
                nullable: true,
                description:
                  'When its content last changed (for the local registry: the newest change to a plugin you can see).',
              },
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
        [
          import('./registry/registry.controller.js'),
          {
            RegistryController: {
              list: {},
              create: { type: t['./registry/dto/plugin-response.dto.js'].PublishResultResponseDto },
              retrieve: { type: t['./registry/dto/plugin-response.dto.js'].PluginDetailResponseDto },
              partialUpdate: { type: t['./registry/dto/plugin-response.dto.js'].PluginResponseDto },
              destroy: {},
              listVersions: {},
              retrieveVersion: { type: t['./registry/dto/plugin-version.dto.js'].PluginVersionResponseDto },
              partialUpdateVersion: { type: t['./registry/dto/plugin-version.dto.js'].PluginVersionResponseDto },
              download: {},
              listReviews: {},
              createReview: { type: t['./registry/dto/plugin-review.dto.js'].PluginReviewResponseDto },
            },
          },
        ],
        [import('./registry/repositories.controller.js'), { RepositoriesController: { list: {} } }],
      ],
    },
  };
};
