import { HOST_OPERATIONS } from './host-operations.js';

/**
 * Source of the script evaluated inside each QuickJS context before the plugin. It is a single function
 * expression: the worker calls it with the native bridge and the setup, and keeps only the three functions it
 * returns. Nothing is put on globalThis except `console`, so plugin code can reach the bridge only through the
 * frozen `context` API, which checks capabilities before anything leaves the sandbox. The capability each host
 * operation needs comes from HOST_OPERATIONS, the table the worker and the main thread check too.
 */
export const PRELUDE_SOURCE = String.raw`(function (native, setupJson) {
  'use strict';
  const HOST_OPERATIONS = ${JSON.stringify(HOST_OPERATIONS)};
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const PromiseCtor = Promise;
  const setup = parse(setupJson);
  // Null-prototype frozen lookups: plugin code patching Set.prototype.has and the like cannot widen them.
  function lookup(list) {
    const table = Object.create(null);
    for (let i = 0; i < list.length; i++) table[list[i]] = true;
    return freeze(table);
  }
  const caps = lookup(setup.capabilities);
  const emits = setup.emits === null ? null : lookup(setup.emits);

  function deepFreeze(value) {
    if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) deepFreeze(value[key]);
      freeze(value);
    }
    return value;
  }
  function need(capability) {
    if (caps[capability] !== true) {
      const error = new Error(capability + ' not granted');
      error.name = 'PermissionDenied';
      throw error;
    }
  }
  function toJson(value) {
    const text = stringify(value === undefined ? null : value);
    return text === undefined ? 'null' : text;
  }

  const pending = new Map();
  let nextHostId = 1;
  function hostCall(op, args) {
    return new PromiseCtor(function (resolve, reject) {
      const id = nextHostId++;
      pending.set(id, { resolve: resolve, reject: reject });
      native.host(id, op, toJson(args));
    });
  }
  // An API function for host operation op: checks its capability first, then builds the arguments.
  function operation(op, buildArgs) {
    const capability = HOST_OPERATIONS[op];
    return function () {
      need(capability);
      return hostCall(op, buildArgs.apply(undefined, arguments));
    };
  }
  function settle(id, ok, text) {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    if (ok) {
      entry.resolve(text === undefined ? undefined : parse(text));
    } else {
      const info = parse(text);
      const error = new Error(info.message);
      error.name = info.name;
      if (info.code) error.code = info.code;
      entry.reject(error);
    }
  }

  const config = deepFreeze(setup.config);
  function logAt(level) {
    return function (message, fields) {
      need('log');
      native.log(level, String(message), fields === undefined ? undefined : toJson(fields));
    };
  }
  const log = freeze({ debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') });

  function withJson(response) {
    response.json = function () { return parse(response.body); };
    return freeze(response);
  }

  const context = freeze({
    installationId: setup.installationId,
    plugin: freeze({ key: setup.plugin.key, version: setup.plugin.version }),
    get config() { need('config:read'); return config; },
    log: log,
    events: freeze({
      emit: function (type, data) {
        need('events:emit');
        type = String(type);
        if (emits !== null && emits[type] !== true) throw new Error('event type ' + type + ' is not declared in events.emits');
        native.emit(type, toJson(data));
      },
    }),
    messages: freeze({
      send: operation('messages.send', function (target, type, data, options) {
        const timeout = options && typeof options.timeout === 'number' ? options.timeout : null;
        return { target: String(target), type: String(type), data: data === undefined ? null : data, timeout: timeout };
      }),
    }),
    storage: freeze({
      get: operation('storage.get', function (key) { return { key: String(key) }; }),
      list: operation('storage.list', function (prefix) { return { prefix: prefix === undefined ? '' : String(prefix) }; }),
      set: operation('storage.set', function (key, value) { return { key: String(key), value: value === undefined ? null : value }; }),
      delete: operation('storage.delete', function (key) { return { key: String(key) }; }),
    }),
    http: freeze({
      fetch: (function () {
        const fetch = operation('http.fetch', function (url, init) { return { url: String(url), init: init === undefined ? {} : init }; });
        return function (url, init) { return fetch(url, init).then(withJson); };
      })(),
    }),
  });

  function format(args) {
    const parts = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a === 'string') parts.push(a);
      else {
        try { parts.push(stringify(a)); } catch (e) { parts.push(String(a)); }
      }
    }
    return parts.join(' ');
  }
  function consoleAt(level) { return function () { log[level](format(arguments)); }; }
  globalThis.console = freeze({
    log: consoleAt('info'), info: consoleAt('info'), warn: consoleAt('warn'), error: consoleAt('error'), debug: consoleAt('debug'),
  });

  let plugin = null;
  function register(exported) {
    if (exported === null || typeof exported !== 'object' && typeof exported !== 'function') {
      throw new TypeError('the runner must "export default" an object with hooks (onInit, onMessage, ...)');
    }
    plugin = exported;
  }

  function describe(error) {
    // QuickJS throws null when the heap is so full that not even its "out of memory" error can be allocated.
    if (error === null) return { name: 'InternalError', message: 'out of memory (null thrown)' };
    try {
      if (error !== null && typeof error === 'object') {
        return { name: String(error.name || 'Error'), message: String(error.message), code: typeof error.code === 'string' ? error.code : undefined };
      }
      return { name: 'Error', message: String(error) };
    } catch (e) {
      return { name: 'Error', message: 'unprintable error' };
    }
  }

  function dispatch(callId, hook, payload) {
    PromiseCtor.resolve()
      .then(function () {
        const fn = plugin[hook];
        if (typeof fn !== 'function') return undefined;
        if (payload === undefined) return fn.call(plugin, context);
        return fn.call(plugin, parse(payload), context);
      })
      .then(function (result) { return result === undefined ? undefined : toJson(result); })
      .then(
        function (text) { native.done(callId, true, text); },
        function (error) { native.done(callId, false, toJson(describe(error))); },
      );
  }

  return { dispatch: dispatch, settle: settle, register: register };
})`;
