/**
 * The test plugin of the observation tests: each message says how long to work and whether to fail, so a test
 * knows exactly how many calls, failures and how much time the runtime must have seen.
 *
 *   { sleep_ms: 20 }            works 20 ms (a busy wait: the sandbox has no timers), answers { slept }
 *   { sleep_ms: 5, fail: true } works 5 ms, then throws
 *   { log: 'text', level }      writes one log line first (to context.log)
 *   { leak_secret: true }       logs its secret `api_key` setting, which must never be stored
 *
 * onProcess (Execute) takes the same commands as onMessage and answers the same.
 *
 * onHealth fails while the last message asked it to (`{ unhealthy: true }`) and passes again after `{ unhealthy:
 * false }`.
 */
export const OBSERVED_PLUGIN_CODE = `
let context;
let unhealthy = false;
function work(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
}
export default {
  onInit(ctx) { context = ctx; },
  onMessage(message) {
    return handle(message.data || {});
  },
  onProcess(data) {
    return handle(data || {});
  },
  onHealth() {
    return [{ name: 'upstream', status: unhealthy ? 'fail' : 'pass', details: unhealthy ? 'told to fail' : 'ok' }];
  },
};
function handle(d) {
  if (typeof d.unhealthy === 'boolean') unhealthy = d.unhealthy;
  if (d.log !== undefined) context.log[d.level || 'info'](d.log, d.fields);
  if (d.leak_secret) context.log.warn('calling upstream with key ' + context.config.api_key, { key: context.config.api_key });
  work(d.sleep_ms || 0);
  if (d.fail) throw new Error(d.fail === true ? 'asked to fail' : String(d.fail));
  return { slept: d.sleep_ms || 0 };
}
`;

export const OBSERVED_PLUGIN_PERMISSIONS = ['log', 'messages:receive', 'config:read', 'secrets:read'] as const;
