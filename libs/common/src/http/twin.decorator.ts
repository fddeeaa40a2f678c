type Handler = (this: unknown, ...args: unknown[]) => unknown;

/** Where @nestjs/swagger keeps a handler's documented parameters (its constants are not exported as modules). */
const API_PARAMETERS = 'swagger/apiParameters';

/**
 * Declares the handler `name` as a twin of the handler `of`: a second operation of the contract served by the
 * same body, with the same parameters (their decorators, pipes, types and documentation, as written on `of`)
 * and its own route and documentation, from `decorators` (`@Patch(…)`, `@Endpoint(…)`, `@ApiOkResponse(…)` …).
 * For the operations the contract keeps as two (the PATCH alias of a PUT, the five methods of a pass-through
 * route): one body serves both, so they cannot drift apart.
 *
 *   @ApiController('settings', 'plugins')
 *   @Twin('patch', 'put', Patch(':plugin/settings/:key'), ApiOkResponse({ type: PluginSettingDto }), Endpoint({…}))
 *   export class SettingsController {
 *     @Put(':plugin/settings/:key') … put(@CurrentUser() caller: AuthUser, …): Promise<PluginSettingDto> { … }
 *   }
 *
 * A twin is not in the source the Swagger CLI plugin reads, so it gets no response from its return type: give
 * it its success response (`@ApiOkResponse`) among `decorators`. Its parameters come from `of`: a parameter
 * that one of `decorators` documents again (the header of `@Idempotent()`) is documented once.
 */
export function Twin(name: string, of: string, ...decorators: MethodDecorator[]): ClassDecorator {
  return (controller) => {
    const prototype = controller.prototype as Record<string, unknown>;
    const source = prototype[of];
    if (typeof source !== 'function') throw new Error(`${controller.name} has no handler ${of} to twin`);
    if (name in prototype) throw new Error(`${controller.name} already has a member ${name}`);
    const body = source as Handler;
    const twin = {
      [name](this: unknown, ...args: unknown[]): unknown {
        return body.apply(this, args);
      },
    }[name];
    Object.defineProperty(prototype, name, { value: twin, writable: true, configurable: true, enumerable: false });
    // What Nest and TypeScript keep per handler name: the parameters (ROUTE_ARGS_METADATA, the passthrough flag
    // of @Res) on the class, their types on the prototype, their documentation on the function.
    copyMetadata(controller, of, controller, name);
    copyMetadata(prototype, of, prototype, name);
    const parameters: unknown = Reflect.getOwnMetadata(API_PARAMETERS, body);
    if (parameters !== undefined) Reflect.defineMetadata(API_PARAMETERS, parameters, twin);
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
    for (const decorate of [...decorators].reverse()) decorate(prototype, name, descriptor);
    // A decorator given again for the twin (`@Idempotent()` with its header) documents its parameter once.
    const documented = Reflect.getOwnMetadata(API_PARAMETERS, twin) as DocumentedParameter[] | undefined;
    if (documented !== undefined) Reflect.defineMetadata(API_PARAMETERS, onePerName(documented), twin);
  };
}

interface DocumentedParameter {
  in?: string;
  name?: string;
}

function onePerName(parameters: readonly DocumentedParameter[]): DocumentedParameter[] {
  const seen = new Set<string>();
  return parameters.filter((parameter) => {
    const id = `${parameter.in ?? ''}:${parameter.name ?? ''}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function copyMetadata(from: object, fromKey: string, to: object, toKey: string): void {
  for (const key of Reflect.getOwnMetadataKeys(from, fromKey) as unknown[]) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from, fromKey), to, toKey);
  }
}
