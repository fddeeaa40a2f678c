// plughub.webhook-relay: POSTs subscribed events, and `relay` messages, to the configured webhook.
let ctx;

async function deliver(kind, payload) {
  const response = await ctx.http.fetch(ctx.config.webhook_url, {
    method: 'POST',
    headers: { 'x-relay-source': ctx.config.label ?? 'plughub' },
    body: { kind, source: ctx.config.label ?? 'plughub', payload },
  });
  if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  return response;
}

export default {
  onInit(context) {
    ctx = context;
    if (!ctx.config.webhook_url) throw new Error('the webhook_url setting is required');
  },

  async onEvent(event) {
    await deliver('event', { type: event.type, data: event.data, id: event.id });
    ctx.log.debug('event relayed', { type: event.type });
  },

  async onMessage(message) {
    if (message.type !== 'relay') throw new Error(`unknown message type "${message.type}"`);
    const response = await deliver('message', message.data);
    return { delivered: true, status: response.status, reply: response.body ? response.json() : null };
  },

  async onHealth() {
    const started = Date.now();
    try {
      const response = await ctx.http.fetch(ctx.config.webhook_url, { method: 'HEAD' });
      return [
        { name: 'webhook', status: response.status < 500 ? 'pass' : 'warn', response_time_ms: Date.now() - started },
      ];
    } catch (error) {
      return [{ name: 'webhook', status: 'fail', details: String(error.message) }];
    }
  },
};
