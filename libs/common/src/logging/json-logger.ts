import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

let threshold = RANK.info;

/** Nest's boot chatter (one line per module and route) is debug detail, not information. */
const FRAMEWORK_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);
let sink: (line: string) => void = (line) => process.stdout.write(line + '\n');

/** Structured JSON logging: one object per line, so logs can be shipped and queried as data. */
export class JsonLogger implements LoggerService {
  static setLevel(level: LogLevel): void {
    threshold = RANK[level];
  }

  /** Redirects output (tests capture lines to assert on them). */
  static setSink(write: (line: string) => void): void {
    sink = write;
  }

  constructor(private readonly context = 'app') {}

  private write(level: Exclude<LogLevel, 'silent'>, message: unknown, meta?: unknown, context?: string): void {
    if (RANK[level] < threshold) return;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      context: context ?? this.context,
      msg: typeof message === 'string' ? message : JSON.stringify(message),
    };
    if (meta && typeof meta === 'object') Object.assign(entry, meta);
    else if (typeof meta === 'string' && !context) entry.context = meta;
    sink(JSON.stringify(entry));
  }

  debug(message: unknown, meta?: unknown, context?: string) {
    this.write('debug', message, meta, context);
  }
  verbose(message: unknown, meta?: unknown, context?: string) {
    this.write('debug', message, meta, context);
  }
  log(message: unknown, meta?: unknown, context?: string) {
    const ctx = context ?? (typeof meta === 'string' ? meta : this.context);
    this.write(FRAMEWORK_CONTEXTS.has(ctx) ? 'debug' : 'info', message, meta, context);
  }
  info(message: unknown, meta?: unknown, context?: string) {
    this.write('info', message, meta, context);
  }
  warn(message: unknown, meta?: unknown, context?: string) {
    this.write('warn', message, meta, context);
  }
  error(message: unknown, meta?: unknown, context?: string) {
    // Nest passes (message, stack, context); keep the stack as a field.
    if (typeof meta === 'string' && context) this.write('error', message, { stack: meta }, context);
    else this.write('error', message, meta, context);
  }
  fatal(message: unknown, meta?: unknown, context?: string) {
    this.write('error', message, meta, context);
  }
}
