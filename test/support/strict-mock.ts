import { type Mock, vi } from 'vitest';

type Methods<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? Mock<(...args: A) => R> : never };

/**
 * A mock of every method of `type` that fails loudly when called without being told what to answer (immich's
 * `automock({ strict: true })`): a service spec states every repository call it expects, and an unexpected call
 * is an error, not a silent `undefined`. Set answers with `mock.find.mockResolvedValue(...)`; reading a property
 * that is not a method of `type` throws too.
 */
export function strictMock<T extends object>(type: abstract new (...args: never[]) => T): Methods<T> & T {
  const mocks = new Map<string, Mock>();
  let proto: object | null = type.prototype as object;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || mocks.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value !== 'function') continue;
      mocks.set(
        name,
        vi.fn(() => {
          throw new Error(`unexpected call: ${type.name}.${name}()`);
        }),
      );
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return new Proxy({} as Methods<T> & T, {
    get(_target, prop) {
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      const mock = mocks.get(prop);
      if (!mock) throw new Error(`${type.name} has no method ${prop}`);
      return mock;
    },
  });
}
