export interface ChangelogEntry {
  version: number;
  date: string;
  changes: string[];
}

/**
 * Parses openapi/CHANGELOG.md: entries headed `v3 -> 2026-11-22` (optionally as a markdown heading),
 * each followed by `- ` bullet lines. Newest first, as written.
 */
export function parseChangelog(markdown: string): ChangelogEntry[] {
  const entries: ChangelogEntry[] = [];
  let current: ChangelogEntry | null = null;
  for (const line of markdown.split(/\r?\n/)) {
    const head = /^#*\s*v(\d+)\s*->\s*(\d{4}-\d{2}-\d{2})\s*$/.exec(line.trim());
    if (head) {
      current = { version: Number(head[1]), date: head[2], changes: [] };
      entries.push(current);
      continue;
    }
    const bullet = /^\s*[-*]\s+(.*\S)\s*$/.exec(line);
    if (bullet && current) current.changes.push(bullet[1]);
  }
  return entries;
}
