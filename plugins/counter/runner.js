// plughub.counter: named counters in the installation's key-value store.
// Messages: { type: 'increment', data: { name } }, { type: 'get', data: { name } }, { type: 'list' },
// { type: 'reset', data: { name, token } } (token must equal the secret admin_token setting).
let ctx;

const keyOf = (name) => `counter:${name}`;

function nameOf(data) {
  const name = data && data.name;
  if (typeof name !== 'string' || !/^[a-z0-9_-]{1,64}$/.test(name))
    throw new Error('data.name must match [a-z0-9_-]{1,64}');
  return name;
}

export default {
  async onInit(context) {
    ctx = context;
    if (!ctx.config.admin_token) ctx.log.warn('admin_token is not set: reset is disabled');
  },

  async onMessage(message) {
    const data = message.data;
    switch (message.type) {
      case 'increment': {
        const name = nameOf(data);
        const current = (await ctx.storage.get(keyOf(name))) ?? 0;
        const step = ctx.config.step ?? 1;
        const value = Math.min(current + step, ctx.config.max_value ?? Number.MAX_SAFE_INTEGER);
        await ctx.storage.set(keyOf(name), value);
        return { name, value };
      }
      case 'get': {
        const name = nameOf(data);
        return { name, value: (await ctx.storage.get(keyOf(name))) ?? 0 };
      }
      case 'list': {
        const keys = await ctx.storage.list('counter:');
        return { names: keys.map((k) => k.slice('counter:'.length)) };
      }
      case 'reset': {
        const name = nameOf(data);
        if (!ctx.config.admin_token || data.token !== ctx.config.admin_token) throw new Error('invalid admin token');
        await ctx.storage.delete(keyOf(name));
        ctx.log.info('counter reset', { name });
        return { name, value: 0 };
      }
      default:
        throw new Error(`unknown message type "${message.type}"`);
    }
  },

  async onHealth() {
    const keys = await ctx.storage.list('counter:');
    return [{ name: 'storage', status: 'pass', value: keys.length, unit: 'counters' }];
  },
};
