import { HOST_OPERATIONS } from './host-operations.js';
import { INTERRUPTIBLE_BUILTINS_SOURCE } from './interruptible-builtins.js';

/**
 * Source of the script evaluated inside each QuickJS context before the plugin. It is a single function
 * expression: the worker calls it with the native bridge and the setup, and keeps only the functions it returns. Nothing is put on globalThis except `console` (and the guarded built-ins of interruptible-builtins.ts),
 * so plugin code can reach the bridge only through the frozen `context` API, which checks capabilities before
 * anything leaves the sandbox. The capability each host operation needs comes from HOST_OPERATIONS, the table the
 * worker and the main thread check too.
 *
 * Every intrinsic the prelude uses is captured here, before the plugin runs: a plugin that later replaces
 * `Promise.prototype.then`, `JSON.stringify` or `String` changes nothing about what the prelude sends.
 */
export const PRELUDE_SOURCE = String.raw`(function (native, setupJson) {
  'use strict';
  (${INTERRUPTIBLE_BUILTINS_SOURCE})();
  const HOST_OPERATIONS = ${JSON.stringify(HOST_OPERATIONS)};
  const uncurry = Function.prototype.bind.bind(Function.prototype.call);
  const call = uncurry(Function.prototype.call);
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const keys = Object.keys;
  const create = Object.create;
  const StringCtor = String;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const PromiseCtor = Promise;
  const promiseThen = uncurry(Promise.prototype.then);
  const defineProperty = Object.defineProperty;
  // then() looks up the species constructor on the promise; ours carry their own, so a plugin that replaces
  // Promise.prototype.constructor or Promise[Symbol.species] cannot rewrite what flows down the chain.
  const SPECIES = freeze({ [Symbol.species]: PromiseCtor });
  function own(promise) {
    defineProperty(promise, 'constructor', { value: SPECIES });
    return promise;
  }
  function then(promise, onFulfilled, onRejected) {
    return own(promiseThen(own(promise), onFulfilled, onRejected));
  }
  const resolved = own(PromiseCtor.resolve(undefined));
  const push = uncurry(Array.prototype.push);
  const join = uncurry(Array.prototype.join);
  const indexOf = uncurry(String.prototype.indexOf);
  const slice = uncurry(String.prototype.slice);
  const setup = parse(setupJson);

  // Null-prototype frozen lookups: plugin code patching Set.prototype.has and the like cannot widen them.
  function lookup(list) {
    const table = create(null);
    for (let i = 0; i < list.length; i++) table[list[i]] = true;
    return freeze(table);
  }
  let caps = lookup(setup.capabilities);
  const emits = setup.emits === null ? null : lookup(setup.emits);
  // Hook -> the exported function's name (the manifest's hooks map); never read from plugin-reachable objects.
  const hookFunctions = freeze(setup.hooks);

  function deepFreeze(value) {
    if (value !== null && typeof value === 'object') {
      const names = keys(value);
      for (let i = 0; i < names.length; i++) deepFreeze(value[names[i]]);
      freeze(value);
    }
    return value;
  }
  function need(capability) {
    if (caps[capability] !== true) {
      const error = new ErrorCtor(capability + ' not granted');
      error.name = 'PermissionDenied';
      throw error;
    }
  }
  function toJson(value) {
    const text = stringify(value === undefined ? null : value);
    return text === undefined ? 'null' : text;
  }

  const pending = create(null);
  let nextHostId = 1;
  function hostCall(op, args) {
    return own(new PromiseCtor(function (resolve, reject) {
      const id = nextHostId++;
      native.host(id, op, toJson(args));
      pending[id] = { resolve: resolve, reject: reject };
    }));
  }
  // An API function for host operation op: checks its capability first, then builds the arguments.
  function operation(op, buildArgs) {
    const capability = HOST_OPERATIONS[op];
    return function (a, b, c, d) {
      need(capability);
      return hostCall(op, buildArgs(a, b, c, d));
    };
  }
  function settle(id, ok, text) {
    const entry = pending[id];
    if (entry === undefined) return;
    delete pending[id];
    if (ok) {
      entry.resolve(text === undefined ? undefined : parse(text));
    } else {
      const info = parse(text);
      const error = new ErrorCtor(info.message);
      error.name = info.name;
      if (info.code) error.code = info.code;
      if (info.reason) error.reason = info.reason;
      entry.reject(error);
    }
  }

  // Without config:read the host sends an empty config: reading it is not an error (seed 002 reads it regardless).
  let config = deepFreeze(setup.config);
  let grants = deepFreeze(setup.grants);
  // reconfigure: the worker hands in new grants; the context the plugin captured at onInit sees them next call.
  function update(grantsJson) {
    const next = parse(grantsJson);
    caps = lookup(next.capabilities);
    config = deepFreeze(next.config);
    grants = deepFreeze(next.grants);
  }
  function logAt(level) {
    return function (message, fields) {
      need('log');
      native.log(level, StringCtor(message), fields === undefined ? undefined : toJson(fields));
    };
  }
  const log = freeze({ debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') });

  function withJson(response) {
    response.json = function () { return parse(response.body); };
    return freeze(response);
  }
  const fetchOperation = operation('http.fetch', function (url, init) {
    return { url: StringCtor(url), init: init === undefined ? {} : init };
  });

  const context = freeze({
    installationId: setup.installationId,
    plugin: freeze({ key: setup.plugin.key, version: setup.plugin.version }),
    get grants() { return grants; },
    get config() { return config; },
    log: log,
    events: freeze({
      emit: function (type, data) {
        need('events:emit');
        type = StringCtor(type);
        if (emits !== null && emits[type] !== true) throw new ErrorCtor('event type ' + type + ' is not declared in events.emits');
        native.emit(type, toJson(data));
      },
    }),
    messages: freeze({
      send: operation('messages.send', function (target, type, data, options) {
        const timeout = options && typeof options.timeout === 'number' ? options.timeout : null;
        return { target: StringCtor(target), type: StringCtor(type), data: data === undefined ? null : data, timeout: timeout };
      }),
    }),
    storage: freeze({
      get: operation('storage.get', function (key) { return { key: StringCtor(key) }; }),
      list: operation('storage.list', function (prefix) { return { prefix: prefix === undefined ? '' : StringCtor(prefix) }; }),
      set: operation('storage.set', function (key, value) { return { key: StringCtor(key), value: value === undefined ? null : value }; }),
      delete: operation('storage.delete', function (key) { return { key: StringCtor(key) }; }),
    }),
    http: freeze({
      fetch: function (url, init) { return then(fetchOperation(url, init), withJson); },
    }),
  });

  function format(args) {
    const parts = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a === 'string') push(parts, a);
      else {
        try { push(parts, stringify(a)); } catch (e) { push(parts, StringCtor(a)); }
      }
    }
    return join(parts, ' ');
  }
  // console.* without the log capability does nothing (plugins written for other hosts log freely).
  function consoleAt(level) { return function () { if (caps.log === true) log[level](format(arguments)); }; }
  globalThis.console = freeze({
    log: consoleAt('info'), info: consoleAt('info'), warn: consoleAt('warn'), error: consoleAt('error'), debug: consoleAt('debug'),
  });

  let plugin = null;
  function register(exported) {
    if (exported === null || typeof exported !== 'object' && typeof exported !== 'function') {
      throw new TypeErrorCtor('the runner must "export default" (or set module.exports to) an object with hooks');
    }
    plugin = exported;
  }
  // An ES module: its default export, else its named exports (export function onMessage ...).
  function registerModule(namespace) {
    const exported = namespace.default;
    if (exported !== undefined) return register(exported);
    if (keys(namespace).length === 0) {
      throw new TypeErrorCtor('the runner exports nothing: use "export default { ... }" or "module.exports = ..."');
    }
    register(namespace);
  }
  // CommonJS: the worker compiled the runner as the body of factory(exports, require, module, __filename, __dirname).
  function registerCommonJs(factory, filename) {
    const module = { exports: {} };
    function require(name) {
      throw new ErrorCtor('require(' + stringify(StringCtor(name)) + ') is not available: a sandbox plugin has no modules');
    }
    call(factory, module.exports, module.exports, require, module, StringCtor(filename), '.');
    register(module.exports);
  }

  function describe(error) {
    // Which failures are out-of-memory is decided by the worker from the engine's state, not from this text.
    if (error === null) return { name: 'null', message: 'null was thrown', thrownNull: true };
    try {
      if (typeof error === 'object') {
        return { name: StringCtor(error.name || 'Error'), message: StringCtor(error.message), code: typeof error.code === 'string' ? error.code : undefined };
      }
      return { name: 'Error', message: StringCtor(error) };
    } catch (e) {
      return { name: 'Error', message: 'unprintable error' };
    }
  }

  // A call's answer as one string: the JSON of its value as it is, 'u' (no value), 'e' + JSON (a failure, see
  // describe). JSON text never starts with 'u', 'e' or 'p' (dispatch's "pending"), so a value needs no prefix.
  function answerOk(result) { return result === undefined ? 'u' : toJson(result); }
  function answerError(error) { return 'e' + toJson(describe(error)); }
  function later(callId, answer) { native.done(callId, answer); }
  // Execute and endpoints need their hook; the other hooks are optional (a missing one answers nothing).
  const REQUIRED_HOOKS = lookup(['onProcess', 'onRequest']);
  // request: callId '\n' hook, then '\n' payload when there is one. A hook that returns a plain value is answered
  // by the return value, without a promise job or a call out; a promise is awaited and answered through native.done,
  // and 'p' (pending) returned meanwhile.
  function dispatch(request) {
    const idEnd = indexOf(request, '\n');
    const hookEnd = indexOf(request, '\n', idEnd + 1);
    const callId = +slice(request, 0, idEnd);
    const hook = hookEnd === -1 ? slice(request, idEnd + 1) : slice(request, idEnd + 1, hookEnd);
    let result;
    try {
      const name = hookFunctions[hook];
      const fn = plugin[name];
      if (typeof fn !== 'function') {
        if (REQUIRED_HOOKS[hook] !== true) return 'u';
        const message = 'the plugin has no ' + hook + ' hook (no function named ' + name + ')';
        return 'e' + toJson({ name: 'TypeError', message: message, missingHook: true });
      }
      if (hookEnd === -1) result = call(fn, plugin, context);
      else result = call(fn, plugin, parse(slice(request, hookEnd + 1)), context);
      if (result === null || (typeof result !== 'object' && typeof result !== 'function') || typeof result.then !== 'function') {
        return answerOk(result);
      }
    } catch (error) {
      return answerError(error);
    }
    then(
      own(PromiseCtor.resolve(result)),
      function (value) {
        let answer;
        try { answer = answerOk(value); } catch (error) { answer = answerError(error); }
        later(callId, answer);
      },
      function (error) { later(callId, answerError(error)); },
    );
    return 'p';
  }

  return {
    dispatch: dispatch, settle: settle, registerModule: registerModule, registerCommonJs: registerCommonJs, update: update,
  };
})`;
