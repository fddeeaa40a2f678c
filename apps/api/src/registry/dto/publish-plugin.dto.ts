import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import {
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { BodyExamples, NestedObject, OptionalEnumField } from '@app/common';
import { pluginManifestRef } from '../../openapi/plugin-manifest.component.js';
import { PLUGIN_SCOPES, type PluginScope } from '../registry.entity.js';

export const FILE_ENCODINGS = ['utf8', 'base64'] as const;
export type FileEncoding = (typeof FILE_ENCODINGS)[number];

/** A file given with its encoding; use base64 for binary files such as PNG icons. */
export class PluginFileContentDto {
  /** The file content, as UTF-8 text or base64. */
  content: string;
  /** How `content` is encoded. */
  @ApiProperty({ enum: FILE_ENCODINGS, enumName: 'FileEncoding' })
  encoding: FileEncoding;
}

export type PluginFileInput = string | { content: string; encoding: FileEncoding };

const isFileInput = (v: unknown): boolean => {
  if (typeof v === 'string') return true;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    Object.keys(o).every((k) => k === 'content' || k === 'encoding') &&
    typeof o.content === 'string' &&
    (FILE_ENCODINGS as readonly unknown[]).includes(o.encoding)
  );
};

/** A file as a UTF-8 string, or `{content, encoding}`. */
function IsPluginFile(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isPluginFile',
      validator: {
        validate: isFileInput,
        defaultMessage: () => 'must be a string or an object { content: string, encoding: "utf8" | "base64" }',
      },
    },
    options,
  );
}

const fileProperty = (description: string) =>
  ApiPropertyOptional({
    description,
    oneOf: [{ type: 'string' }, { $ref: getSchemaPath(PluginFileContentDto) }],
  });

@ApiExtraModels(PluginFileContentDto)
export class PluginFilesDto {
  @fileProperty(
    'The JavaScript runner; required when the manifest has a sandbox runtime (or `main`). Stored at its `runtime.entry` or `main`.',
  )
  @IsOptional()
  @IsPluginFile()
  runner?: PluginFileInput;

  @fileProperty('README in Markdown, stored as README.md.')
  @IsOptional()
  @IsPluginFile()
  readme?: PluginFileInput;

  @fileProperty('The icon (SVG text, or an image in base64), stored at the manifest `icon` path or `icon`.')
  @IsOptional()
  @IsPluginFile()
  icon?: PluginFileInput;

  @fileProperty('UI shape definition (JSON text), stored as shape.json.')
  @IsOptional()
  @IsPluginFile()
  shape?: PluginFileInput;
}

/** The manifest fields every package example in the contract starts with (publishing, an upload install). */
export const EXAMPLE_MANIFEST = {
  key: 'ada.hello-world',
  name: 'Hello world',
  version: '1.0.0',
  description: 'Answers a greet message with a greeting.',
  author: 'Ada Lovelace',
  license: 'MIT',
};

/**
 * A plugin package as the API takes it: the manifest and the files. What publishing and an upload install share;
 * each says what its manifest's `key` means (by declaring `manifest` again with its own description).
 */
export abstract class PluginPackageDto {
  @ApiProperty({ allOf: [pluginManifestRef], description: 'The plugin manifest (the plugin-sdk JSON Schema).' })
  @IsObject()
  manifest: Record<string, unknown>;

  /** The package files. */
  @NestedObject(() => PluginFilesDto)
  files: PluginFilesDto;
}

/**
 * Publishes a plugin (a key seen for the first time) or a new version of one. The manifest is validated
 * against the plugin-sdk JSON Schema; the files, decoded, may total at most the configured upload limit.
 */
@BodyExamples({
  sandbox: {
    summary: 'A private sandbox plugin that answers greetings',
    value: {
      manifest: {
        ...EXAMPLE_MANIFEST,
        category: 'examples',
        tags: ['example', 'greeting'],
        engines: { plughub: '>=0.1.0' },
        permissions: ['log', 'messages:receive'],
        settings: { greeting: { type: 'string', name: 'Greeting', default: 'Hello' } },
        runtime: { type: 'sandbox', entry: 'runner.js' },
        limits: { memory_mb: 16, timeout_ms: 2000 },
      },
      files: {
        runner: 'export default { onMessage(m) { return { text: `Hello, ${m.data?.name ?? "world"}!` }; } };\n',
        readme: '# Hello world\n\nSend it `{"type": "greet", "data": {"name": "Ada"}}`.\n',
      },
      scope: 'private',
    },
  },
})
export class PublishPluginDto extends PluginPackageDto {
  @ApiProperty({
    description:
      'The plugin manifest (the plugin-sdk JSON Schema); its `key` and `version` name what is published. ' +
      "A manifest without `key` (seed 002's format) is published as `<publisher>.<name as a slug>`: the publisher " +
      "is the `owner_org`'s slug, else the caller's handle; the stored manifest carries the derived key.",
  })
  override manifest: Record<string, unknown>;

  /** For a new plugin: the organisation (slug or id) that owns it; you must be one of its owners or admins. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  owner_org?: string;

  /** Visibility (a new plugin's default: private); org and public need the publisher role. Versions keep it. */
  @OptionalEnumField(PLUGIN_SCOPES, 'PluginScope')
  scope?: PluginScope;

  /** Keep the version as a draft (not submitted for review); submit it later with PATCH. */
  @IsOptional()
  @IsBoolean()
  draft?: boolean;
}
