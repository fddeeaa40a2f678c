import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';

/** The finished OpenAPI document, built once at start-up and served by GET /api/schema/. */
@Injectable()
export class OpenApiDocumentHolder {
  document: OpenAPIObject | null = null;
  private json: string | null = null;
  private yamlText: string | null = null;

  set(document: OpenAPIObject): void {
    this.document = document;
    this.json = null;
    this.yamlText = null;
  }

  asJson(): string {
    return (this.json ??= JSON.stringify(this.document));
  }

  async asYaml(): Promise<string> {
    if (this.yamlText === null) {
      const { stringify } = await import('yaml');
      this.yamlText = stringify(this.document, { aliasDuplicateObjects: false });
    }
    return this.yamlText;
  }
}
