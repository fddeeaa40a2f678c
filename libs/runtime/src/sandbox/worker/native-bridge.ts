/** The native functions the prelude closes over: the only way out of a QuickJS context. Worker code. */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import { HOST_OPERATIONS, isHostOperation } from '../host-operations.js';
import type { SandboxGrants, SandboxSetup } from '../protocol.js';
import { post } from './channel.js';
import { FLOOD_LIMITS, PerSecond } from './flood-limits.js';
import { exceeds } from './payload-bounds.js';
import { limitExceeded, permissionDenied, type NativeResult } from './wire-errors.js';

/** What the bridge needs from the sandbox it serves. */
export interface BridgeOwner {
  readonly setup: SandboxSetup;
  readonly grants: SandboxGrants;
  readonly caps: ReadonlySet<string>;
  /** A call's answer as the prelude encodes it (see `dispatch` in prelude.ts). */
  answer(id: number, answer: string): void;
  /** The request of the call the code running now belongs to, when that is known (see Sandbox). */
  currentRequestId(): string | undefined;
}

/**
 * Arguments are strings/numbers; anything else is coerced. Capabilities are checked here again, so a plugin that
 * got past the prelude still gets nothing it was not granted; floods are cut off before they reach the main thread.
 */
export class NativeBridge {
  private hostInFlight = 0;
  private readonly logBudget = new PerSecond(FLOOD_LIMITS.logLinesPerSecond);
  private readonly emitBudget = new PerSecond(FLOOD_LIMITS.eventsPerSecond);

  constructor(
    private readonly ctx: QuickJSContext,
    private readonly owner: BridgeOwner,
  ) {}

  /** A host call was answered. */
  hostSettled(): void {
    this.hostInFlight = Math.max(0, this.hostInFlight - 1);
  }

  /** The object handed to the prelude; the caller disposes it. */
  create(): QuickJSHandle {
    const ctx = this.ctx;
    const native = ctx.newObject();
    const define = (name: string, fn: (...args: QuickJSHandle[]) => NativeResult | void) => {
      const handle = ctx.newFunction(name, fn);
      ctx.setProp(native, name, handle);
      handle.dispose();
    };
    define('done', (idH, answerH) => this.done(idH, answerH));
    define('log', (levelH, messageH, fieldsH) => this.log(levelH, messageH, fieldsH));
    define('emit', (typeH, dataH) => this.emit(typeH, dataH));
    define('host', (idH, opH, argsH) => this.host(idH, opH, argsH));
    return native;
  }

  private str(h: QuickJSHandle | undefined): string | undefined {
    return h === undefined || this.ctx.typeof(h) === 'undefined' ? undefined : this.ctx.getString(h);
  }

  /** A call whose hook returned a promise is answered (a plain value comes back as dispatch's return value). */
  private done(idH: QuickJSHandle, answerH: QuickJSHandle | undefined): void {
    this.owner.answer(this.ctx.getNumber(idH), this.str(answerH) ?? 'u');
  }

  private log(levelH: QuickJSHandle, messageH: QuickJSHandle, fieldsH: QuickJSHandle | undefined): NativeResult | void {
    const { installationId } = this.owner.setup;
    if (!this.owner.caps.has('log')) return permissionDenied(this.ctx, 'log');
    if (!this.logBudget.take()) {
      if (this.logBudget.dropped === 1) {
        const message = `log rate limit of ${FLOOD_LIMITS.logLinesPerSecond} lines/s exceeded; dropping lines`;
        post({ t: 'log', installationId, level: 'warn', message });
      }
      return;
    }
    let fields = this.str(fieldsH);
    if (
      fields !== undefined &&
      (fields.length > FLOOD_LIMITS.logFieldsChars || exceeds(fields, this.owner.setup.bounds))
    ) {
      fields = undefined;
    }
    const requestId = this.owner.currentRequestId();
    post({
      t: 'log',
      installationId,
      level: this.str(levelH) ?? 'info',
      message: (this.str(messageH) ?? '').slice(0, FLOOD_LIMITS.logMessageChars),
      fields,
      ...(requestId === undefined ? {} : { requestId }),
    });
  }

  private emit(typeH: QuickJSHandle, dataH: QuickJSHandle | undefined): NativeResult | void {
    if (!this.owner.caps.has('events:emit')) return permissionDenied(this.ctx, 'events:emit');
    const data = this.str(dataH) ?? 'null';
    if (data.length > FLOOD_LIMITS.eventDataChars) {
      return limitExceeded(this.ctx, `event data over ${FLOOD_LIMITS.eventDataChars} characters`);
    }
    if (exceeds(data, this.owner.setup.bounds)) return limitExceeded(this.ctx, 'event data nested too deep');
    if (!this.emitBudget.take()) return limitExceeded(this.ctx, `more than ${FLOOD_LIMITS.eventsPerSecond} events/s`);
    post({ t: 'emit', installationId: this.owner.setup.installationId, type: this.str(typeH) ?? '', data });
  }

  private host(idH: QuickJSHandle, opH: QuickJSHandle, argsH: QuickJSHandle | undefined): NativeResult | void {
    const ctx = this.ctx;
    const op = this.str(opH) ?? '';
    if (!isHostOperation(op)) return { error: ctx.newError(`unknown host operation ${op}`) };
    const capability = HOST_OPERATIONS[op];
    if (!this.owner.caps.has(capability)) return permissionDenied(ctx, capability);
    if (this.hostInFlight >= FLOOD_LIMITS.hostCallsInFlight) {
      return limitExceeded(ctx, `more than ${FLOOD_LIMITS.hostCallsInFlight} host calls in flight`);
    }
    const args = this.str(argsH) ?? 'null';
    // Checked here, so that the main thread never parses what it would refuse anyway.
    const bad = exceeds(args, this.owner.setup.bounds);
    if (bad) return limitExceeded(ctx, `${op} arguments are ${bad === 'too_large' ? 'too large' : 'nested too deep'}`);
    if (op === 'storage.set' && args.length > this.owner.grants.storageQuotaBytes + 4096) {
      return limitExceeded(
        ctx,
        `storage quota exceeded: the value alone is larger than the quota of ${this.owner.grants.storageQuotaBytes} bytes`,
      );
    }
    this.hostInFlight++;
    const { installationId } = this.owner.setup;
    post({ t: 'host', installationId, hostId: ctx.getNumber(idH), op, args });
  }
}
