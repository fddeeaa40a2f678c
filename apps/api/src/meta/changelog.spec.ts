import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_VERSION } from './api-version.js';
import { parseChangelog } from './changelog.js';

describe('parseChangelog', () => {
  it('reads headed entries with their bullet lines, newest first', () => {
    const md = '# API changelog\n\n## v2 -> 2026-11-22\n\n- Added plugins\n- Fixed x\n\nv1 -> 2026-11-21\n* First\n';
    expect(parseChangelog(md)).toEqual([
      { version: 2, date: '2026-11-22', changes: ['Added plugins', 'Fixed x'] },
      { version: 1, date: '2026-11-21', changes: ['First'] },
    ]);
  });

  it('the committed changelog has an entry for the current API version at the top', () => {
    const entries = parseChangelog(readFileSync(new URL('../../../../openapi/CHANGELOG.md', import.meta.url), 'utf8'));
    expect(entries[0]?.version).toBe(API_VERSION);
    expect(entries[0]?.changes.length).toBeGreaterThan(0);
  });
});
