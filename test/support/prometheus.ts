import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Family name → TYPE (COUNTER, GAUGE, HISTOGRAM, …). */
  types: Map<string, string>;
  /** Every sample line, histograms as their `_bucket`, `_sum` and `_count` lines. */
  samples: PromSample[];
}

/**
 * Reads a Prometheus text exposition with parse-prometheus-text-format, which throws on any malformed line. That
 * parser folds the series of a labelled histogram into one and drops their labels, so histogram families are read
 * a second time with their TYPE line left out: each `_bucket`, `_sum` and `_count` line then comes back as a plain
 * sample with its labels.
 */
export function parseExposition(text: string): Exposition {
  const families = parsePrometheusTextFormat(text);
  const types = new Map(families.map((f) => [f.name, f.type]));
  const histograms = new Set(families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name));
  const flat = text
    .split('\n')
    .filter((line) => {
      const m = /^# (?:TYPE|HELP) (\S+) /.exec(line);
      return !m || !histograms.has(m[1]);
    })
    .join('\n');
  const samples: PromSample[] = [];
  for (const family of parsePrometheusTextFormat(flat)) {
    for (const metric of family.metrics) {
      if (metric.value === undefined) continue;
      samples.push({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) });
    }
  }
  return { types, samples };
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matching = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}
