import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { JsonLogger, LogOutput } from '../logging/json-logger.js';
import { CommonModule } from '../module/common.module.js';
import { EventBus } from './event-bus.js';
import { OnPlughubEvent } from './on-event.decorator.js';

function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger(new LogOutput('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
  return { lines, logger };
}

/** The event these specs emit; libs/common declares none of its own (modules declare theirs). */
interface TestChangedEvent {
  id: string;
  from: string | null;
  to: string;
  at: Date;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** Declared for libs/common's own specs only. */
    'test.changed': TestChangedEvent;
  }
}

const changed = (to = 'active'): TestChangedEvent => ({ id: 'i1', from: null, to, at: new Date(0) });

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('EventBus', () => {
  it('runs handlers by priority, then in registration order', async () => {
    const bus = new EventBus(recordingLogger().logger);
    const order: string[] = [];
    bus.on('test.changed', () => void order.push('b0'));
    bus.on('test.changed', () => void order.push('late'), { priority: 10 });
    bus.on('test.changed', () => void order.push('early'), { priority: -5 });
    bus.on('test.changed', () => void order.push('b1'));
    await bus.emit('test.changed', changed());
    expect(order).toEqual(['early', 'b0', 'b1', 'late']);
  });

  it('awaits an async handler before starting the next one', async () => {
    const bus = new EventBus(recordingLogger().logger);
    const order: string[] = [];
    bus.on('test.changed', async () => {
      await tick();
      order.push('slow');
    });
    bus.on('test.changed', () => void order.push('next'));
    await bus.emit('test.changed', changed());
    expect(order).toEqual(['slow', 'next']);
  });

  it('isolates a throwing or rejecting handler: the others run, the emitter is not told, the log is', async () => {
    const { lines, logger } = recordingLogger();
    const bus = new EventBus(logger);
    const seen: string[] = [];
    bus.on(
      'test.changed',
      () => {
        throw new Error('sync boom');
      },
      { name: 'Thrower.handle' },
    );
    bus.on('test.changed', () => Promise.reject(new Error('async boom')), { name: 'Rejecter.handle' });
    bus.on('test.changed', (e) => void seen.push(e.to));
    await expect(bus.emit('test.changed', changed('disabled'))).resolves.toBeUndefined();
    expect(seen).toEqual(['disabled']);
    expect(lines.map((l) => [l.msg, l.handler, l.error])).toEqual([
      ['Event handler failed', 'Thrower.handle', 'sync boom'],
      ['Event handler failed', 'Rejecter.handle', 'async boom'],
    ]);
  });

  it('notify runs synchronous handlers before it returns', () => {
    const bus = new EventBus(recordingLogger().logger);
    const seen: string[] = [];
    bus.on('test.changed', (e) => void seen.push(e.to));
    bus.notify('test.changed', changed());
    expect(seen).toEqual(['active']);
  });

  it('notify keeps the order across an async handler and never rejects', async () => {
    const bus = new EventBus(recordingLogger().logger);
    const order: string[] = [];
    bus.on('test.changed', async () => {
      await tick();
      throw new Error('late failure');
    });
    bus.on('test.changed', () => void order.push('after'));
    bus.notify('test.changed', changed());
    expect(order).toEqual([]);
    await tick();
    await tick();
    expect(order).toEqual(['after']);
  });

  it('stops calling a handler once it is removed', async () => {
    const bus = new EventBus(recordingLogger().logger);
    let calls = 0;
    const off = bus.on('test.changed', () => void calls++);
    await bus.emit('test.changed', changed());
    off();
    await bus.emit('test.changed', changed());
    expect([calls, bus.hasHandlers('test.changed')]).toEqual([1, false]);
  });
});

@Injectable()
class AuditTrail {
  readonly seen: string[] = [];

  @OnPlughubEvent('test.changed', { priority: 1 })
  record(event: TestChangedEvent): void {
    this.seen.push(`audit:${event.to}`);
  }
}

@Injectable()
class Metrics {
  constructor(private readonly audit: AuditTrail) {}

  @OnPlughubEvent('test.changed')
  count(event: TestChangedEvent): void {
    this.audit.seen.push(`metrics:${event.to}`);
  }
}

describe('@OnPlughubEvent', () => {
  it('registers decorated provider methods at boot, bound to their instance, in priority order', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CommonModule.forRoot({ logger: recordingLogger().logger })],
      providers: [AuditTrail, Metrics],
    }).compile();
    await moduleRef.init();
    await moduleRef.get(EventBus).emit('test.changed', changed('failed'));
    expect(moduleRef.get(AuditTrail).seen).toEqual(['metrics:failed', 'audit:failed']);
    await moduleRef.close();
  });
});
