import type { SettingChoice, SettingDefinition } from './manifest.types.js';

/** The allowed values of a `choice` setting, whether written plain or as `{value, display_name}`. */
export function choiceValues(def: Pick<SettingDefinition, 'choices'>): Array<string | number> {
  return (def.choices ?? []).map((c) => (typeof c === 'object' ? c.value : c));
}

/** Every choice as `{value, display_name}`; a plain value is its own display name. */
export function choiceEntries(def: Pick<SettingDefinition, 'choices'>): SettingChoice[] {
  return (def.choices ?? []).map((c) => (typeof c === 'object' ? { ...c } : { value: c, display_name: String(c) }));
}

/**
 * Whether a pattern repeats without bound a group that itself holds a repetition, e.g. `(a+)+`, `((ab)*)*` or
 * `(x{1,5})+`: the
 * classic shape of catastrophic backtracking. Patterns come from manifests anyone may publish, and run on the
 * server. Character classes and escapes are skipped; `?` alone does not count as a repetition inside.
 */
function nestsQuantifiers(pattern: string): boolean {
  const groups: boolean[] = []; // per open group: does it hold a repetition?
  let i = 0;
  /** The length of the repetition at `at` (0: none) and whether it is unbounded (`+`, `*`, `{n,}`). */
  const repeatsAt = (at: number): [number, boolean] => {
    const c = pattern[at];
    if (c === '+' || c === '*') return [1, true];
    const braces = /^\{\d+,(\d*)\}/.exec(pattern.slice(at));
    return braces ? [braces[0].length, braces[1] === ''] : [0, false];
  };
  const mark = () => {
    if (groups.length) groups[groups.length - 1] = true;
  };
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      i += 2;
    } else if (c === '[') {
      i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      groups.push(false);
      i++;
    } else if (c === ')') {
      const inner = groups.pop() ?? false;
      i++;
      const [n, unbounded] = repeatsAt(i);
      if (n) {
        if (inner && unbounded) return true;
        mark();
        i += n;
      } else if (inner) mark();
    } else {
      const [n] = repeatsAt(i);
      if (n) mark();
      i += n || 1;
    }
  }
  return false;
}

const MAX_PATTERN = 500;

/** Why a setting's `pattern` is refused (does not compile, or nests quantifiers), or undefined when it is fine. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN) return `must be at most ${MAX_PATTERN} characters`;
  if (nestsQuantifiers(pattern)) return 'must not repeat a group that repeats (catastrophic backtracking)';
  try {
    new RegExp(pattern, 'u');
  } catch {
    return 'must be a valid regular expression';
  }
  return undefined;
}

const compiled = new Map<string, RegExp>();

/** Whether the whole of `value` matches `pattern` (the `u` flag; a pattern that does not compile matches nothing). */
export function matchesPattern(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    try {
      re = new RegExp(`^(?:${pattern})$`, 'u');
    } catch {
      return false;
    }
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(value);
}
