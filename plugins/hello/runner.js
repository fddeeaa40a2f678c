// plughub.hello: answers `greet` messages and announces every greeting as a `hello.greeted` event.
let ctx;
let greeted = 0;

export default {
  onInit(context) {
    ctx = context;
    ctx.log.info('hello ready', { greeting: ctx.config.greeting });
  },

  onMessage(message) {
    switch (message.type) {
      case 'greet': {
        const name = message.data && typeof message.data.name === 'string' ? message.data.name : 'world';
        greeted++;
        ctx.events.emit('hello.greeted', { name });
        return { text: `${ctx.config.greeting ?? 'Hello'}, ${name}!`, greeted };
      }
      case 'ping':
        return { pong: true };
      default:
        throw new Error(`unknown message type "${message.type}"`);
    }
  },

  onHealth() {
    return [{ name: 'greetings', status: 'pass', value: greeted }];
  },

  onCleanup() {
    ctx.log.info('hello stopping', { greeted });
  },
};
