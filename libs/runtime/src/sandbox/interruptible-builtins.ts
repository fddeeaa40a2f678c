/**
 * QuickJS polls its interrupt handler on backward jumps and on function calls, never inside a native loop. The
 * built-ins below loop over `length` without calling anything when they meet holes, so
 * `Array.prototype.indexOf.call({ length: 2 ** 32 - 1 }, 1)` or `new Array(1e9).join('')` would hold the worker for
 * minutes with no way to stop them but terminating the thread (measured: every one of them in this list did).
 *
 * The remedy chosen is a guard in the prelude, installed before any plugin code runs: each such method is
 * replaced by a wrapper that calls the original only on a genuine array (not a Proxy) of at most NATIVE_MAX
 * elements, where the native loop is short whatever it meets, and otherwise runs a JavaScript version of the
 * standard algorithm, which polls like any plugin loop and so ends at the call's deadline. The Set methods that
 * take a set-like (`union`, ...) get its `keys()` iterator wrapped in a JavaScript `next`, for the same reason.
 * Why not the other remedies: the engine is a prebuilt WebAssembly variant (no patched or configured build to
 * take), no upstream release polls in these loops, and a worker per untrusted plugin costs ~3 MB and ~55 ms each.
 * Built-ins whose loops are bounded by memory (typed arrays, strings, dense arrays' own storage) are left alone;
 * the watchdog (plugin-runtime.ts) backs everything up by blaming and quarantining whoever holds a worker past its
 * deadline.
 *
 * The source is one function expression, evaluated inside QuickJS by the prelude; interruptible-builtins.spec.ts
 * checks each fallback against V8's built-ins.
 */
export const NATIVE_MAX = 65_536;

/** The JavaScript versions, compiled inside QuickJS on first use by the guard below (a Function body). */
const FALLBACKS_BODY =
  String.raw`'use strict';
  const { MAX_LENGTH, ObjectCtor, ArrayCtor, NumberCtor, TypeErrorCtor, defineProperty, isArray, construct, trunc,
    min, max, species, spreadable, call, push, nativeJoin, nativeSort, typedLength, typedJoin } = intrinsics;
  const toStr = (v) => ` +
  '`${v}`' +
  String.raw`;
  function toObject(v) {
    if (v === null || v === undefined) throw new TypeErrorCtor('cannot convert ' + v + ' to object');
    return ObjectCtor(v);
  }
  function toInt(v) {
    const n = NumberCtor(v);
    if (n !== n || n === 0) return 0;
    if (n === Infinity || n === -Infinity) return n;
    return trunc(n);
  }
  function lengthOf(o) {
    const n = toInt(o.length);
    return n <= 0 ? 0 : min(n, MAX_LENGTH);
  }
  // LengthOfArrayLike, then IsCallable: the order every method that takes a callback observes them in.
  function lengthWithCallback(o, fn) {
    const len = lengthOf(o);
    callable(fn);
    return len;
  }
  function relative(v, len) {
    const r = toInt(v);
    return r < 0 ? max(len + r, 0) : min(r, len);
  }
  function callable(f) {
    if (typeof f !== 'function') throw new TypeErrorCtor(typeof f + ' is not a function');
    return f;
  }
  function createData(a, k, v) {
    defineProperty(a, k, { value: v, writable: true, enumerable: true, configurable: true });
  }
  function speciesCreate(o, len) {
    if (!isArray(o)) return new ArrayCtor(len);
    let c = o.constructor;
    if (c !== null && (typeof c === 'object' || typeof c === 'function')) {
      c = c[species];
      if (c === null) c = undefined;
    }
    if (c === undefined) return new ArrayCtor(len);
    if (typeof c !== 'function') throw new TypeErrorCtor('species is not a constructor');
    return construct(c, [len]);
  }
  function isSpreadable(e) {
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return false;
    const s = e[spreadable];
    return s !== undefined ? !!s : isArray(e);
  }

  const fallback = {
    indexOf(search, fromIndex) {
      const o = toObject(this);
      const len = lengthOf(o);
      if (len === 0) return -1;
      const n = toInt(fromIndex);
      if (n === Infinity) return -1;
      for (let k = n >= 0 ? n : max(len + n, 0); k < len; k++) if (k in o && o[k] === search) return k;
      return -1;
    },
    lastIndexOf(search, fromIndex) {
      const o = toObject(this);
      const len = lengthOf(o);
      if (len === 0) return -1;
      const n = arguments.length > 1 ? toInt(fromIndex) : len - 1;
      if (n === -Infinity) return -1;
      for (let k = n >= 0 ? min(n, len - 1) : len + n; k >= 0; k--) if (k in o && o[k] === search) return k;
      return -1;
    },
    includes(search, fromIndex) {
      const o = toObject(this);
      const len = lengthOf(o);
      if (len === 0) return false;
      const n = toInt(fromIndex);
      if (n === Infinity) return false;
      for (let k = n >= 0 ? n : max(len + n, 0); k < len; k++) {
        const e = o[k];
        if (e === search || (e !== e && search !== search)) return true;
      }
      return false;
    },
    join(separator) {
      const o = toObject(this);
      const len = lengthOf(o);
      const sep = separator === undefined ? ',' : toStr(separator);
      const chunks = [];
      let parts = [];
      for (let k = 0; k < len; k++) {
        const e = o[k];
        push(parts, e === undefined || e === null ? '' : toStr(e));
        if (parts.length === 4096) {
          push(chunks, nativeJoin(parts, sep));
          parts = [];
        }
      }
      if (parts.length > 0 || chunks.length === 0) push(chunks, nativeJoin(parts, sep));
      return nativeJoin(chunks, sep);
    },
    toLocaleString() {
      const o = toObject(this);
      const len = lengthOf(o);
      const parts = [];
      for (let k = 0; k < len; k++) {
        const e = o[k];
        push(parts, e === undefined || e === null ? '' : toStr(e.toLocaleString()));
      }
      return nativeJoin(parts, ',');
    },
    reverse() {
      const o = toObject(this);
      const len = lengthOf(o);
      const middle = trunc(len / 2);
      for (let lower = 0; lower !== middle; lower++) {
        const upper = len - lower - 1;
        const lowerExists = lower in o;
        const lowerValue = lowerExists ? o[lower] : undefined;
        const upperExists = upper in o;
        const upperValue = upperExists ? o[upper] : undefined;
        if (lowerExists && upperExists) {
          o[lower] = upperValue;
          o[upper] = lowerValue;
        } else if (upperExists) {
          o[lower] = upperValue;
          delete o[upper];
        } else if (lowerExists) {
          delete o[lower];
          o[upper] = lowerValue;
        }
      }
      return o;
    },
    copyWithin(target, start, end) {
      const o = toObject(this);
      const len = lengthOf(o);
      let to = relative(target, len);
      let from = relative(start, len);
      const final = end === undefined ? len : relative(end, len);
      let count = min(final - from, len - to);
      let step = 1;
      if (from < to && to < from + count) {
        step = -1;
        from += count - 1;
        to += count - 1;
      }
      for (; count > 0; count--, from += step, to += step) {
        if (from in o) o[to] = o[from];
        else delete o[to];
      }
      return o;
    },
    every(fn, thisArg) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      for (let k = 0; k < len; k++) if (k in o && !call(fn, thisArg, o[k], k, o)) return false;
      return true;
    },
    some(fn, thisArg) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      for (let k = 0; k < len; k++) if (k in o && call(fn, thisArg, o[k], k, o)) return true;
      return false;
    },
    forEach(fn, thisArg) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      for (let k = 0; k < len; k++) if (k in o) call(fn, thisArg, o[k], k, o);
      return undefined;
    },
    map(fn, thisArg) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      const a = speciesCreate(o, len);
      for (let k = 0; k < len; k++) if (k in o) createData(a, k, call(fn, thisArg, o[k], k, o));
      return a;
    },
    filter(fn, thisArg) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      const a = speciesCreate(o, 0);
      let to = 0;
      for (let k = 0; k < len; k++) {
        if (!(k in o)) continue;
        const v = o[k];
        if (call(fn, thisArg, v, k, o)) createData(a, to++, v);
      }
      return a;
    },
    reduce(fn, initial) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      let k = 0;
      let acc = initial;
      if (arguments.length < 2) {
        while (k < len && !(k in o)) k++;
        if (k >= len) throw new TypeErrorCtor('reduce of empty array with no initial value');
        acc = o[k++];
      }
      for (; k < len; k++) if (k in o) acc = call(fn, undefined, acc, o[k], k, o);
      return acc;
    },
    reduceRight(fn, initial) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      let k = len - 1;
      let acc = initial;
      if (arguments.length < 2) {
        while (k >= 0 && !(k in o)) k--;
        if (k < 0) throw new TypeErrorCtor('reduce of empty array with no initial value');
        acc = o[k--];
      }
      for (; k >= 0; k--) if (k in o) acc = call(fn, undefined, acc, o[k], k, o);
      return acc;
    },
    slice(start, end) {
      const o = toObject(this);
      const len = lengthOf(o);
      let k = relative(start, len);
      const final = end === undefined ? len : relative(end, len);
      const a = speciesCreate(o, max(final - k, 0));
      let n = 0;
      for (; k < final; k++, n++) if (k in o) createData(a, n, o[k]);
      a.length = n;
      return a;
    },
    splice(start, deleteCount) {
      const o = toObject(this);
      const len = lengthOf(o);
      const from0 = relative(start, len);
      const itemCount = max(arguments.length - 2, 0);
      const removed =
        arguments.length === 0 ? 0 : arguments.length === 1 ? len - from0 : min(max(toInt(deleteCount), 0), len - from0);
      if (len + itemCount - removed > MAX_LENGTH) throw new TypeErrorCtor('array too long');
      const a = speciesCreate(o, removed);
      for (let k = 0; k < removed; k++) if (from0 + k in o) createData(a, k, o[from0 + k]);
      a.length = removed;
      if (itemCount < removed) {
        for (let k = from0; k < len - removed; k++) {
          if (k + removed in o) o[k + itemCount] = o[k + removed];
          else delete o[k + itemCount];
        }
        for (let k = len; k > len - removed + itemCount; k--) delete o[k - 1];
      } else if (itemCount > removed) {
        for (let k = len - removed; k > from0; k--) {
          if (k + removed - 1 in o) o[k + itemCount - 1] = o[k + removed - 1];
          else delete o[k + itemCount - 1];
        }
      }
      for (let i = 0; i < itemCount; i++) o[from0 + i] = arguments[i + 2];
      o.length = len - removed + itemCount;
      return a;
    },
    shift() {
      const o = toObject(this);
      const len = lengthOf(o);
      if (len === 0) {
        o.length = 0;
        return undefined;
      }
      const first = o[0];
      for (let k = 1; k < len; k++) {
        if (k in o) o[k - 1] = o[k];
        else delete o[k - 1];
      }
      delete o[len - 1];
      o.length = len - 1;
      return first;
    },
    unshift() {
      const o = toObject(this);
      const len = lengthOf(o);
      const count = arguments.length;
      if (count > 0) {
        if (len + count > MAX_LENGTH) throw new TypeErrorCtor('array too long');
        for (let k = len; k > 0; k--) {
          if (k - 1 in o) o[k + count - 1] = o[k - 1];
          else delete o[k + count - 1];
        }
        for (let j = 0; j < count; j++) o[j] = arguments[j];
      }
      o.length = len + count;
      return len + count;
    },
    sort(compare) {
      if (compare !== undefined) callable(compare);
      const o = toObject(this);
      const len = lengthOf(o);
      const items = [];
      for (let k = 0; k < len; k++) if (k in o) push(items, o[k]);
      // Sorting our own dense array is bounded by memory; a JavaScript comparator keeps it interruptible.
      nativeSort(
        items,
        compare === undefined
          ? (x, y) => {
              const xs = toStr(x);
              const ys = toStr(y);
              return xs < ys ? -1 : xs > ys ? 1 : 0;
            }
          : (x, y) => {
              const v = NumberCtor(call(compare, undefined, x, y));
              return v !== v ? 0 : v;
            },
      );
      let j = 0;
      for (; j < items.length; j++) o[j] = items[j];
      for (; j < len; j++) delete o[j];
      return o;
    },
    flat(depth) {
      const o = toObject(this);
      const len = lengthOf(o);
      let d = 1;
      if (depth !== undefined) {
        d = toInt(depth);
        if (d < 0) d = 0;
      }
      const a = speciesCreate(o, 0);
      flattenInto(a, o, len, 0, d);
      return a;
    },
    flatMap(fn, thisArg) {
      const o = toObject(this);
      const len = lengthWithCallback(o, fn);
      const a = speciesCreate(o, 0);
      flattenInto(a, o, len, 0, 1, fn, thisArg);
      return a;
    },
    concat() {
      const o = toObject(this);
      const a = speciesCreate(o, 0);
      let n = 0;
      for (let i = -1; i < arguments.length; i++) {
        const e = i < 0 ? o : arguments[i];
        if (isSpreadable(e)) {
          const len = lengthOf(e);
          if (n + len > MAX_LENGTH) throw new TypeErrorCtor('array too long');
          for (let k = 0; k < len; k++, n++) if (k in e) createData(a, n, e[k]);
        } else {
          if (n >= MAX_LENGTH) throw new TypeErrorCtor('array too long');
          createData(a, n++, e);
        }
      }
      a.length = n;
      return a;
    },
  };

  function flattenInto(target, source, sourceLen, start, depth, mapper, thisArg) {
    let index = start;
    for (let k = 0; k < sourceLen; k++) {
      if (!(k in source)) continue;
      let element = source[k];
      if (mapper !== undefined) element = call(mapper, thisArg, element, k, source);
      if (depth > 0 && isArray(element)) {
        index = flattenInto(target, element, lengthOf(element), index, depth === Infinity ? Infinity : depth - 1);
      } else {
        if (index >= MAX_LENGTH) throw new TypeErrorCtor('array too long');
        createData(target, index++, element);
      }
    }
    return index;
  }

  fallback.typedJoin = function join(separator) {
    const len = typedLength(this);
    const sep = separator === undefined ? ',' : toStr(separator);
    const chunks = [];
    for (let k = 0; k < len; k += 4096) {
      const parts = [];
      for (let i = k; i < k + 4096 && i < len; i++) push(parts, toStr(this[i]));
      push(chunks, nativeJoin(parts, sep));
    }
    return len === 0 ? call(typedJoin, this, sep) : nativeJoin(chunks, sep);
  };
  return fallback;
`;

export const INTERRUPTIBLE_BUILTINS_SOURCE = String.raw`(function () {
  'use strict';
  const NATIVE_MAX = ${NATIVE_MAX};
  const FALLBACKS = ${JSON.stringify(FALLBACKS_BODY)};
  const MAX_LENGTH = 9007199254740991;
  const ObjectCtor = Object;
  const ArrayCtor = Array;
  const NumberCtor = Number;
  const TypeErrorCtor = TypeError;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const getPrototypeOf = Object.getPrototypeOf;
  const isArray = Array.isArray;
  const construct = Reflect.construct;
  const trunc = Math.trunc;
  const min = Math.min;
  const max = Math.max;
  const species = Symbol.species;
  const spreadable = Symbol.isConcatSpreadable;
  const uncurry = Function.prototype.bind.bind(Function.prototype.call);
  const call = uncurry(Function.prototype.call);
  const apply = uncurry(Function.prototype.apply);
  const push = uncurry(Array.prototype.push);
  const nativeJoin = uncurry(Array.prototype.join);
  const nativeSort = uncurry(Array.prototype.sort);
  const weakAdd = uncurry(WeakSet.prototype.add);
  const weakHas = uncurry(WeakSet.prototype.has);
  const proxies = new WeakSet();
  const freeze = Object.freeze;
  const TypedArrayPrototype = getPrototypeOf(Int8Array.prototype);
  const typedLength = uncurry(getOwnPropertyDescriptor(TypedArrayPrototype, 'length').get);
  const typedJoin = TypedArrayPrototype.join;


  // Every Proxy is made through the constructors below, so a Proxy around an array is never taken for an array.
  const NativeProxy = Proxy;
  const nativeRevocable = Proxy.revocable;
  function ProxyConstructor(target, handler) {
    if (new.target === undefined) throw new TypeErrorCtor("Constructor Proxy requires 'new'");
    const proxy = construct(NativeProxy, [target, handler]);
    weakAdd(proxies, proxy);
    return proxy;
  }
  const ProxyShim = ProxyConstructor.bind(undefined);
  defineProperty(ProxyShim, 'name', { value: 'Proxy', configurable: true });
  defineProperty(ProxyShim, 'revocable', {
    value: function revocable(target, handler) {
      const result = nativeRevocable(target, handler);
      weakAdd(proxies, result.proxy);
      return result;
    },
    writable: true,
    configurable: true,
  });
  defineProperty(globalThis, 'Proxy', { value: ProxyShim, writable: true, configurable: true });

  const plainArray = (o) => isArray(o) && !weakHas(proxies, o);
  const short = (o) => plainArray(o) && o.length <= NATIVE_MAX;
  // The JavaScript versions are compiled on first use only: most plugins never need them, and compiling them
  // for every sandbox would cost about 5 ms per load (measured).
  const FunctionCtor = Function;
  const intrinsics = freeze({ MAX_LENGTH, ObjectCtor, ArrayCtor, NumberCtor, TypeErrorCtor, defineProperty, isArray,
    construct, trunc, min, max, species, spreadable, call, push, nativeJoin, nativeSort, typedLength, typedJoin });
  let compiled;
  const fallbacks = () => compiled || (compiled = FunctionCtor('intrinsics', FALLBACKS)(intrinsics));

  function install(proto, name, useNative, replacement) {
    const original = proto[name];
    if (typeof original !== 'function') return;
    const holder = {
      [name]() {
        if (useNative(this, arguments)) return apply(original, this, arguments);
        return apply(typeof replacement === 'string' ? fallbacks()[replacement] : replacement, this, arguments);
      },
    };
    defineProperty(holder[name], 'length', { value: original.length, configurable: true });
    defineProperty(proto, name, { value: holder[name], writable: true, enumerable: false, configurable: true });
  }

  const shortReceiver = (o) => short(o);
  const never = () => false;
  for (const name of ['indexOf', 'lastIndexOf', 'includes', 'join', 'toLocaleString', 'reverse', 'copyWithin',
    'every', 'some', 'forEach', 'map', 'filter', 'reduce', 'reduceRight', 'slice', 'splice', 'shift', 'unshift',
    'sort']) {
    install(ArrayCtor.prototype, name, shortReceiver, name);
  }
  // flat and flatMap descend into elements, which may themselves be huge sparse arrays.
  install(ArrayCtor.prototype, 'flat', never, 'flat');
  install(ArrayCtor.prototype, 'flatMap', never, 'flatMap');
  install(ArrayCtor.prototype, 'concat', (o, args) => {
    if (!short(o)) return false;
    for (let i = 0; i < args.length; i++) {
      const e = args[i];
      if (e !== null && (typeof e === 'object' || typeof e === 'function') && !short(e)) return false;
    }
    return true;
  }, 'concat');

  // Typed arrays: join formats every element natively (measured: seconds for 2 ** 25 elements).
  install(TypedArrayPrototype, 'join', (o) => {
    try { return typedLength(o) <= NATIVE_MAX; } catch (e) { return true; } // not a typed array: let it throw
  }, 'typedJoin');

  // Set methods that take a set-like: its keys() iterator is driven from JavaScript, so the loop polls.
  function stepwise(iterator) {
    if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) return iterator;
    const next = iterator.next;
    const wrapped = { next: function () { return call(next, iterator); } };
    const ret = iterator.return;
    if (ret !== undefined) wrapped.return = function () { return call(ret, iterator); };
    return wrapped;
  }
  function setLike(other) {
    if (other === null || (typeof other !== 'object' && typeof other !== 'function')) return other;
    const size = other.size;
    const has = other.has;
    const keys = other.keys;
    return {
      size: size,
      has: typeof has === 'function' ? function (v) { return call(has, other, v); } : has,
      keys: typeof keys === 'function' ? function () { return stepwise(call(keys, other)); } : keys,
    };
  }
  const SetPrototype = Set.prototype;
  for (const name of ['union', 'intersection', 'difference', 'symmetricDifference', 'isSubsetOf', 'isSupersetOf',
    'isDisjointFrom']) {
    const original = SetPrototype[name];
    if (typeof original !== 'function') continue;
    install(SetPrototype, name, never, function (other) { return call(original, this, setLike(other)); });
  }
})`;
