import { checkPayloadBound } from './bus-payload.js';
import { InFlight, type ListenerErrorReporter, reportToStderr } from './bus-serving.js';
import { BusSubjects } from './bus-subjects.js';
import { BusError, type BusState, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD_BYTES } from './message-bus.js';

/** The options both adapters take. */
export interface BusAdapterOptions {
  prefix?: string;
  maxPayloadBytes?: number;
  drainTimeoutMs?: number;
  onListenerError?: ListenerErrorReporter;
}

/** The options, checked and with their defaults. */
export interface BusSettings {
  subjects: BusSubjects;
  maxPayloadBytes: number;
  drainTimeoutMs: number;
  onListenerError: ListenerErrorReporter;
}

/** Refuses a bad prefix or payload bound before anything is connected. */
export function busSettings(options: BusAdapterOptions): BusSettings {
  return {
    subjects: new BusSubjects(options.prefix),
    maxPayloadBytes: checkPayloadBound(options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES),
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    onListenerError: options.onListenerError ?? reportToStderr,
  };
}

/**
 * What both adapters keep alike: the settings, the installations this bus serves (`Served` is the adapter's handle
 * on one), the handlers running and the calls waiting for an answer, and the state, which ends at `closed`. Each
 * adapter implements MessageBus on top of it.
 */
export abstract class BusAdapter<Served> {
  readonly maxPayloadBytes: number;
  protected readonly subjects: BusSubjects;
  protected readonly drainTimeoutMs: number;
  protected readonly onListenerError: ListenerErrorReporter;
  protected readonly served = new Map<string, Served>();
  protected readonly inFlight = new InFlight();
  /** This node's calls waiting for an answer, failed with `closed` when the bus closes rather than at their timeout. */
  protected readonly waiting = new Set<(error: BusError) => void>();
  protected state: BusState = 'connected';
  protected since = new Date();
  private closing?: Promise<void>;

  protected constructor(settings: BusSettings) {
    this.subjects = settings.subjects;
    this.maxPayloadBytes = settings.maxPayloadBytes;
    this.drainTimeoutMs = settings.drainTimeoutMs;
    this.onListenerError = settings.onListenerError;
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  /** What close() does, once. */
  protected abstract shutdown(): Promise<void>;

  protected setState(state: BusState): void {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    this.since = new Date();
  }

  protected failWaiting(error: BusError): void {
    for (const fail of [...this.waiting]) fail(error);
    this.waiting.clear();
  }

  protected assertOpen(): void {
    if (this.state === 'closed') throw new BusError('closed', 'The message bus is closed.');
  }

  /** The subject of an installation this bus may start serving: a valid id, not served here yet. */
  protected subjectToServe(installationId: string): string {
    this.assertOpen();
    const subject = this.subjects.installation(installationId);
    if (this.served.has(installationId)) {
      throw new BusError('invalid_argument', `Installation ${installationId} is already served by this bus.`);
    }
    return subject;
  }
}
