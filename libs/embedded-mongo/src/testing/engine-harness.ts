import type { ConnectionInfo, Engine } from '../engine.js';
import type { Doc } from '../paths.js';

/** A connection for commands run straight on an Engine in specs; `onClose` sees a fail point drop it. */
export function testConnection(onClose: () => void = () => undefined): ConnectionInfo {
  return { id: 1, remote: 'spec', closed: new Promise<void>(() => undefined), close: onClose };
}

/** Runs a command on the engine `current()` returns, in database `db` (the engine may be new for each test). */
export function commandRunner(
  current: () => Engine,
  db: string,
  conn: ConnectionInfo = testConnection(),
): (cmd: Doc) => Promise<Doc> {
  // The command name must stay the first field.
  return (cmd) => current().run({ ...cmd, $db: db }, conn);
}
