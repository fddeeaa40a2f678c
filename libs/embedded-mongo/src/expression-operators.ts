import { evalExpr } from 'mingo/core';
import { ErrorCode, MongoCommandError } from './errors.js';
import { isPlainObject } from './paths.js';

/**
 * Expression operators of MongoDB 7.0 that mingo lacks or runs only with server-side JavaScript, with mongod's
 * answers for null/missing input and its error codes.
 */

type Options = Parameters<typeof evalExpr>[2];
type ExpressionOp = (obj: unknown, expr: unknown, options: Options) => unknown;

/**
 * `$function` for mingo's own stages only: its `$setWindowFields` computes every output field through
 * `$function` with a closure of its own, which mingo's operator refuses unless server-side JavaScript is
 * enabled, so every window function failed. A body that is a native function can only come from mingo (BSON
 * decodes JavaScript as Code, never as a function); a client's `$function` is refused as before.
 */
const $function: ExpressionOp = (obj, expr, options) => {
  const spec = isPlainObject(expr) ? expr : undefined;
  const body = spec?.body;
  if (typeof body !== 'function')
    throw new MongoCommandError(ErrorCode.BadValue, "$function requires 'scriptEnabled' option to be true");
  const args = evalExpr(obj, spec?.args ?? [], options) as unknown[];
  return (body as (...a: unknown[]) => unknown)(...args);
};

export const ENGINE_EXPRESSION_OPERATORS: Record<string, ExpressionOp> = { $function };
