/** One named example of a request body, as Swagger UI offers it in its example list. */
export interface BodyExample {
  summary: string;
  value: Record<string, unknown>;
}

const examples = new Map<string, Record<string, BodyExample>>();

/**
 * Declares the examples of a request DTO. The contract puts them on every request body of that schema, so Swagger
 * UI prefills the first one (in name order) instead of inventing values from the schema (`"password":
 * "stringst"`, the first enum value: `roles: ["admin"]`). Every example must be harmless when executed as it is,
 * and valid against its schema (test/contract-truth.e2e-spec.ts checks both).
 *
 *   @BodyExamples({ basic: { summary: 'A plain user', value: { email: 'ada@example.com', roles: ['user'] } } })
 *   export class CreateUserDto { … }
 */
export function BodyExamples(named: Record<string, BodyExample>): ClassDecorator {
  return (target) => {
    if (Object.keys(named).length === 0) throw new Error(`${target.name}: @BodyExamples needs at least one example`);
    examples.set(target.name, named);
  };
}

/** The examples declared for a DTO class, by its class name (the schema name before the public renaming). */
export function bodyExamplesOf(className: string): Record<string, BodyExample> | undefined {
  return examples.get(className);
}
