// CI's contract gate:
//  1. the committed openapi/openapi.json, apps/api/src/generated/metadata.ts and libs/client/src are exactly
//     what `npm run openapi` produces from the code (no drift);
//  2. along the history of openapi/openapi.json, every change of the contract came with a higher
//     info.version, and openapi/CHANGELOG.md has an entry for the current version.
// Run after `npm run openapi` has regenerated the files in the work tree.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** @param {string[]} args */
const git = (...args) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
/** @type {string[]} */
const failures = [];

const GENERATED = ['openapi', 'libs/client/src', 'apps/api/src/generated'];
const drift = git('status', '--porcelain', '--', ...GENERATED).trim();
if (drift) {
  failures.push(
    `Generated contract files differ from the committed ones (run \`npm run openapi\` and commit):\n${drift}`,
  );
  failures.push(git('diff', '--stat', '--', ...GENERATED));
}

/** @param {string} text */
const withoutVersion = (text) => {
  /** @type {unknown} */
  const parsed = JSON.parse(text);
  const doc = /** @type {{ info: { version?: string } }} */ (parsed);
  const version = Number(doc.info.version);
  delete doc.info.version;
  return { version, body: JSON.stringify(doc) };
};

const commits = git('log', '--format=%H', '--', 'openapi/openapi.json').trim().split('\n').filter(Boolean).reverse();
let previous = null;
for (const commit of commits) {
  let text;
  try {
    text = git('show', `${commit}:openapi/openapi.json`);
  } catch {
    previous = null; // deleted in this commit
    continue;
  }
  const current = withoutVersion(text);
  if (!Number.isInteger(current.version) || current.version < 1) {
    failures.push(`${commit.slice(0, 8)}: info.version must be a positive integer`);
  }
  if (previous && current.body !== previous.body && current.version <= previous.version) {
    failures.push(
      `${commit.slice(0, 8)}: the contract changed but the API version stayed at ${current.version} (bump it and add a CHANGELOG entry)`,
    );
  }
  if (previous && current.version < previous.version) {
    failures.push(`${commit.slice(0, 8)}: the API version went down from ${previous.version} to ${current.version}`);
  }
  previous = current;
}

const spec = withoutVersion(readFileSync('openapi/openapi.json', 'utf8'));
const changelog = readFileSync('openapi/CHANGELOG.md', 'utf8');
const entry = new RegExp(`^#*\\s*v${spec.version}\\s*->\\s*\\d{4}-\\d{2}-\\d{2}\\s*$`, 'm');
if (!entry.test(changelog)) failures.push(`openapi/CHANGELOG.md has no "v${spec.version} -> YYYY-MM-DD" entry`);

if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`contract ok: API v${spec.version}, ${commits.length} committed revision(s) checked`);
