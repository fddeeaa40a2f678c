import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Receives one JSON line per log entry. */
export type LogSink = (line: string) => void;

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(line + '\n');
};

/** Nest's boot chatter (one line per module and route) is debug detail, not information. */
const FRAMEWORK_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/**
 * Where one application's log lines go, and from which level. Each app gets its own, so two apps in one process
 * (the test suite) never share a level or a sink, and a test can read exactly the lines its app wrote.
 */
export class LogOutput {
  private readonly threshold: number;

  constructor(
    level: LogLevel = 'info',
    private readonly sink: LogSink = stdoutSink,
  ) {
    this.threshold = RANK[level];
  }

  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return RANK[level] >= this.threshold;
  }

  write(entry: Record<string, unknown>): void {
    this.sink(JSON.stringify(entry));
  }
}

/**
 * Structured JSON logging: one object per line, so logs can be shipped and queried as data. The app provides one
 * root logger (see CommonModule); a class takes its own context with `child`:
 *
 *   constructor(logger: JsonLogger) { this.logger = logger.child('ShippedPlugins'); }
 *
 * It is also Nest's logger (createApp passes it to the factory), so framework lines share the format.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly output: LogOutput = new LogOutput(),
    private readonly context = 'app',
  ) {}

  /** The same output under another context. */
  child(context: string): JsonLogger {
    return new JsonLogger(this.output, context);
  }

  private write(level: Exclude<LogLevel, 'silent'>, message: unknown, meta?: unknown, context?: string): void {
    if (!this.output.enabled(level)) return;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      context: context ?? this.context,
      msg: typeof message === 'string' ? message : JSON.stringify(message),
    };
    if (meta && typeof meta === 'object') Object.assign(entry, meta);
    else if (typeof meta === 'string' && !context) entry.context = meta;
    this.output.write(entry);
  }

  debug(message: unknown, meta?: unknown, context?: string): void {
    this.write('debug', message, meta, context);
  }
  verbose(message: unknown, meta?: unknown, context?: string): void {
    this.write('debug', message, meta, context);
  }
  log(message: unknown, meta?: unknown, context?: string): void {
    const ctx = context ?? (typeof meta === 'string' ? meta : this.context);
    this.write(FRAMEWORK_CONTEXTS.has(ctx) ? 'debug' : 'info', message, meta, context);
  }
  info(message: unknown, meta?: unknown, context?: string): void {
    this.write('info', message, meta, context);
  }
  warn(message: unknown, meta?: unknown, context?: string): void {
    this.write('warn', message, meta, context);
  }
  error(message: unknown, meta?: unknown, context?: string): void {
    // Nest passes (message, stack, context); keep the stack as a field.
    if (typeof meta === 'string' && context) this.write('error', message, { stack: meta }, context);
    else this.write('error', message, meta, context);
  }
  fatal(message: unknown, meta?: unknown, context?: string): void {
    this.write('error', message, meta, context);
  }
}
