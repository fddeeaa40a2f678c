import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { LogLevel, PaginationConfig } from '@app/common';

/** HTTP server: where it listens and how large a body it reads. */
export interface HttpConfig {
  host: string;
  port: number;
  bodyBytes: number;
  /**
   * Addresses or CIDR ranges of the reverse proxies whose X-Forwarded-For/-Host/-Proto are believed (the client
   * address, pagination links, the request origin). Empty: nobody's, the socket and the Host header are used.
   */
  trustedProxies: string[];
}

export interface DatabaseConfig {
  /** A MongoDB connection string; null starts the embedded engine. */
  uri: string | null;
  /** Embedded engine: the data directory, or null to keep everything in memory (tests). */
  dataDir: string | null;
}

export interface AuthConfig {
  /** The JWT signing key, resolved once at boot (configured, or generated into the data dir). */
  jwt: { secret: string | null; ttlSeconds: number };
  admin: { email: string; password: string | null };
  openSignup: boolean;
  /** Failed logins allowed per account and per client address within one window, before 429 RATE_LIMITED. */
  loginThrottle: { perAccount: number; perAddress: number; windowSeconds: number };
  /** Where a generated JWT secret is kept; null keeps it in memory only. */
  secretDir: string | null;
}

export interface UsersConfig {
  /** Password hashes computed at once; the others wait (each takes 128 MiB and a libuv thread). */
  hashConcurrency: number;
}

export interface RegistryConfig {
  uploadBytes: number;
  /** Register the sample plugins shipped in plugins/. */
  samples: boolean;
}

export interface RuntimeConfig {
  /** Worker threads hosting sandboxes; null lets the runtime choose (available cores, 2 to 4). */
  workers: number | null;
  /** Crash policy: this many failed calls within `crashWindowMs` mark an instance failed. */
  maxCrashes: number;
  crashWindowMs: number;
  /** Grace after a call's timeout before a non-answering worker is terminated. */
  watchdogGraceMs: number;
  /** After a message, how long a worker looks for the next one before its thread sleeps (µs; 0 never). */
  workerSpinMicros: number;
}

export interface MessagingConfig {
  natsUrl: string | null;
  /** This node's name on the bus (NATS monitoring, leases). */
  nodeName: string;
  /** Event delivery: attempts per subscriber before a dead letter, and the first retry's delay (doubling). */
  eventMaxAttempts: number;
  eventRetryBaseMs: number;
  /** Milliseconds between keep-alive comments on an idle event stream. */
  sseKeepAliveMs: number;
  /**
   * Event streams one user may hold open on one node: every stored event wakes every stream for a read, so an
   * unbounded number is an amplifier; past it GET /api/events/stream/ answers 429.
   */
  maxStreamsPerUser: number;
  /** Days an event (and its deliveries, dead letters included) is kept; a TTL index removes it after. */
  eventRetentionDays: number;
  /**
   * With NATS_URL (several nodes on one database): how long an installation's lease lasts unless its node renews
   * it (every third of it), so how long the installations of a node that died stay unreachable.
   */
  leaseTtlMs: number;
}

/** Background health checks of plugin installations (health module). */
export interface HealthConfig {
  /** How often each installation's onHealth runs (each at its own offset inside the interval). */
  pluginCheckIntervalMs: number;
  /** How long a check waits for onHealth before counting it as failed. */
  pluginCheckTimeoutMs: number;
  /**
   * At most this many background checks start per second on a node: past `interval × rate` installations each is
   * checked less often than the interval says, so the checks' cost stays bounded however many are hosted.
   */
  pluginCheckMaxPerSecond: number;
  /** Consecutive failed checks that make an installation unhealthy (fewer: degraded). */
  unhealthyAfter: number;
  /** Consecutive failed checks after which an unhealthy installation is disabled; 0 (the default) never does. */
  disableAfter: number;
}

/** Prometheus, metric buckets, usage stats and plugin logs (metrics module). */
export interface MetricsConfig {
  /** Bearer token GET /metrics requires; null leaves it open (put it behind the network instead). */
  token: string | null;
  /** How long per-minute metric buckets and plugin log lines are kept. */
  retentionDays: number;
  /** How often buffered usage stats and metric buckets are written (a crash loses at most this much). */
  flushIntervalMs: number;
  /** Plugin log lines stored per installation and minute; the excess is counted and reported as one line. */
  logLinesPerMinute: number;
  /** Longest message (and fields, as JSON) a stored log line keeps; longer ones are cut and marked. */
  logLineChars: number;
}

export interface SecretsConfig {
  /** PLUGHUB_SECRET_KEY as given (32 bytes, base64 or hex; checked by loadConfig), or null. */
  key: string | null;
  /** Where a generated key file is kept when no key is given; null (in-memory database) keeps a per-process key. */
  keyDir: string | null;
}

export interface InstallationConfig {
  /** How long an Idempotency-Key's first answer is replayed, in seconds. */
  idempotencyTtlSeconds: number;
  /**
   * Test seam, inert unless set: a named fault point (`install.journaled`, `install.step_written#2`, …) at which
   * the process kills itself with SIGKILL, so the crash tests can stop it exactly there (installation/README.md).
   */
  faultPoint: string | null;
  /**
   * The origins (`https://plugins.example.com`) install `source: url` may fetch packages from
   * (PLUGHUB_INSTALL_URL_ALLOWLIST, comma-separated); https only, unless the origin is a loopback http one. Empty:
   * the url source is refused.
   */
  urlAllowlist: string[];
}

export interface AuditConfig {
  /** Entries older than this many days are pruned (the chain stays verifiable); 0 keeps everything. */
  retentionDays: number;
}

/** The whole validated configuration; each module injects only its slice (see config.module.ts). */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  dataDir: string;
  logLevel: LogLevel;
  http: HttpConfig;
  database: DatabaseConfig;
  auth: AuthConfig;
  users: UsersConfig;
  pagination: PaginationConfig;
  registry: RegistryConfig;
  runtime: RuntimeConfig;
  messaging: MessagingConfig;
  metrics: MetricsConfig;
  secrets: SecretsConfig;
  installation: InstallationConfig;
  health: HealthConfig;
  audit: AuditConfig;
}

/** Raised when an environment variable has a bad value; start-up stops with this message. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*(\/(12[0-8]|1[01]\d|[1-9]?\d))?$/i;

/** A comma-separated list of proxy addresses or CIDR ranges (`10.0.0.0/8, ::1`); `loopback` names 127.0.0.1 and ::1. */
function proxies(env: Env, name: string): string[] {
  const raw = str(env, name);
  if (raw === undefined) return [];
  const items = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .flatMap((p) => (p === 'loopback' ? ['127.0.0.1', '::1'] : [p]));
  for (const item of items) {
    if (!IPV4.test(item) && !IPV6.test(item))
      throw new ConfigError(name, `holds "${item}", not an IP address or CIDR range`);
  }
  return items;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether an origin's host is a loopback one (`localhost`, `127.0.0.1`, `[::1]`). */
export function isLoopbackOrigin(origin: URL): boolean {
  return LOOPBACK_HOSTS.has(origin.hostname);
}

/** Comma-separated origins: each https, or http on a loopback host; written back in URL.origin form. */
function origins(env: Env, name: string): string[] {
  const raw = str(env, name);
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((item) => {
      let url: URL;
      try {
        url = new URL(item);
      } catch {
        throw new ConfigError(name, `holds "${item}", not an origin such as https://plugins.example.com`);
      }
      if (url.origin !== item.replace(/\/$/, '') || url.username || url.password) {
        throw new ConfigError(name, `holds "${item}": give origins only (scheme, host and port), without a path`);
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackOrigin(url))) {
        throw new ConfigError(name, `holds "${item}": origins must be https (http only on a loopback host)`);
      }
      return url.origin;
    });
}

/** Reads and validates the whole configuration from the environment; throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const mongodbUri = str(env, 'MONGODB_URI') ?? null;
  if (mongodbUri && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    throw new ConfigError('MONGODB_URI', 'must start with mongodb:// or mongodb+srv://');
  }
  const secret = str(env, 'PLUGHUB_JWT_SECRET') ?? null;
  if (secret !== null && secret.length < 32) {
    throw new ConfigError('PLUGHUB_JWT_SECRET', 'must be at least 32 characters long');
  }
  const adminEmail = str(env, 'PLUGHUB_ADMIN_EMAIL') ?? 'admin@plughub.local';
  if (!EMAIL.test(adminEmail)) throw new ConfigError('PLUGHUB_ADMIN_EMAIL', `is not an email address: "${adminEmail}"`);
  const adminPassword = str(env, 'PLUGHUB_ADMIN_PASSWORD') ?? null;
  if (adminPassword !== null && adminPassword.length < 8) {
    throw new ConfigError('PLUGHUB_ADMIN_PASSWORD', 'must be at least 8 characters long');
  }
  const pageDefault = int(env, 'PLUGHUB_PAGE_SIZE', 20, 1, 1000);
  const pageMax = int(env, 'PLUGHUB_MAX_PAGE_SIZE', 100, 1, 1000);
  if (pageDefault > pageMax)
    throw new ConfigError('PLUGHUB_PAGE_SIZE', `must not exceed PLUGHUB_MAX_PAGE_SIZE (${pageMax})`);
  const uploadBytes = int(env, 'PLUGHUB_MAX_UPLOAD_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const natsUrl = str(env, 'NATS_URL') ?? null;
  if (natsUrl && !/^(nats|tls|ws|wss):\/\//.test(natsUrl)) throw new ConfigError('NATS_URL', 'must be a nats:// URL');
  const metricsToken = str(env, 'PLUGHUB_METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < 16) {
    throw new ConfigError('PLUGHUB_METRICS_TOKEN', 'must be at least 16 characters long');
  }
  const dataDir = resolve(str(env, 'PLUGHUB_DATA_DIR') ?? './data');
  const memory = bool(env, 'PLUGHUB_DB_MEMORY', false);
  const secretKey = str(env, 'PLUGHUB_SECRET_KEY') ?? null;
  if (secretKey !== null && decodeSecretKey(secretKey) === null) {
    throw new ConfigError('PLUGHUB_SECRET_KEY', 'must be 32 bytes written as 64 hex digits or in base64');
  }
  const faultPoint = str(env, 'PLUGHUB_TEST_FAULT_POINT') ?? null;
  if (faultPoint !== null && !/^[a-z][a-z_.]*(#[1-9]\d*)?$/.test(faultPoint)) {
    throw new ConfigError('PLUGHUB_TEST_FAULT_POINT', `must be a fault point name such as install.journaled#1`);
  }
  const workers =
    str(env, 'PLUGHUB_RUNTIME_WORKERS') === undefined ? null : int(env, 'PLUGHUB_RUNTIME_WORKERS', 2, 1, 64);

  return {
    env: nodeEnv,
    dataDir,
    logLevel: oneOf(env, 'PLUGHUB_LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    http: {
      host: str(env, 'HOST') ?? '0.0.0.0',
      port: int(env, 'PORT', 3000, 0, 65535),
      // JSON bodies carry base64 artifacts, which are a third larger than the bytes they encode.
      bodyBytes: Math.ceil(uploadBytes * 1.4) + 64 * 1024,
      trustedProxies: proxies(env, 'PLUGHUB_TRUSTED_PROXIES'),
    },
    database: { uri: mongodbUri, dataDir: memory ? null : dataDir },
    auth: {
      jwt: { secret, ttlSeconds: int(env, 'PLUGHUB_JWT_TTL', 3600, 60, 30 * 24 * 3600) },
      admin: { email: adminEmail.toLowerCase(), password: adminPassword },
      openSignup: bool(env, 'PLUGHUB_OPEN_SIGNUP', false),
      loginThrottle: {
        perAccount: int(env, 'PLUGHUB_LOGIN_MAX_FAILURES', 10, 1, 1_000_000),
        perAddress: int(env, 'PLUGHUB_LOGIN_MAX_FAILURES_PER_ADDRESS', 100, 1, 1_000_000),
        windowSeconds: int(env, 'PLUGHUB_LOGIN_FAILURE_WINDOW', 900, 1, 7 * 24 * 3600),
      },
      secretDir: memory ? null : dataDir,
    },
    users: { hashConcurrency: int(env, 'PLUGHUB_HASH_CONCURRENCY', 2, 1, 64) },
    pagination: { default: pageDefault, max: pageMax },
    registry: { uploadBytes, samples: bool(env, 'PLUGHUB_SAMPLES', nodeEnv !== 'production') },
    runtime: {
      workers,
      maxCrashes: int(env, 'PLUGHUB_RUNTIME_MAX_CRASHES', 5, 1, 1000),
      crashWindowMs: int(env, 'PLUGHUB_RUNTIME_CRASH_WINDOW_MS', 60_000, 1000, 24 * 3600 * 1000),
      watchdogGraceMs: int(env, 'PLUGHUB_RUNTIME_WATCHDOG_GRACE_MS', 2000, 100, 600_000),
      workerSpinMicros: int(env, 'PLUGHUB_RUNTIME_WORKER_SPIN_US', 50, 0, 1000),
    },
    messaging: {
      natsUrl,
      nodeName: str(env, 'PLUGHUB_NODE_NAME') ?? `plughub-api@${hostname()}:${process.pid}`,
      eventMaxAttempts: int(env, 'PLUGHUB_EVENT_MAX_ATTEMPTS', 5, 1, 100),
      eventRetryBaseMs: int(env, 'PLUGHUB_EVENT_RETRY_BASE_MS', 1000, 10, 3_600_000),
      sseKeepAliveMs: int(env, 'PLUGHUB_SSE_KEEPALIVE_MS', 15_000, 100, 600_000),
      maxStreamsPerUser: int(env, 'PLUGHUB_MAX_EVENT_STREAMS_PER_USER', 16, 1, 10_000),
      eventRetentionDays: int(env, 'PLUGHUB_EVENT_RETENTION_DAYS', 30, 1, 3650),
      leaseTtlMs: int(env, 'PLUGHUB_LEASE_TTL_MS', 15_000, 1000, 600_000),
    },
    metrics: {
      token: metricsToken,
      retentionDays: int(env, 'PLUGHUB_METRICS_RETENTION_DAYS', 30, 1, 3650),
      flushIntervalMs: int(env, 'PLUGHUB_METRICS_FLUSH_MS', 1000, 50, 60_000),
      logLinesPerMinute: int(env, 'PLUGHUB_PLUGIN_LOG_RATE', 600, 1, 1_000_000),
      logLineChars: int(env, 'PLUGHUB_PLUGIN_LOG_LINE_CHARS', 4096, 64, 1024 * 1024),
    },
    secrets: { key: secretKey, keyDir: memory ? null : dataDir },
    installation: {
      idempotencyTtlSeconds: int(env, 'PLUGHUB_IDEMPOTENCY_TTL', 24 * 3600, 60, 30 * 24 * 3600),
      faultPoint,
      urlAllowlist: origins(env, 'PLUGHUB_INSTALL_URL_ALLOWLIST'),
    },
    health: {
      pluginCheckIntervalMs: int(env, 'PLUGHUB_PLUGIN_HEALTH_INTERVAL_MS', 30_000, 1000, 24 * 3600 * 1000),
      pluginCheckTimeoutMs: int(env, 'PLUGHUB_PLUGIN_HEALTH_TIMEOUT_MS', 5000, 100, 600_000),
      pluginCheckMaxPerSecond: int(env, 'PLUGHUB_PLUGIN_HEALTH_MAX_PER_SECOND', 20, 1, 10_000),
      unhealthyAfter: int(env, 'PLUGHUB_PLUGIN_UNHEALTHY_AFTER', 3, 1, 100),
      disableAfter: int(env, 'PLUGHUB_PLUGIN_UNHEALTHY_DISABLE_AFTER', 0, 0, 10_000),
    },
    audit: { retentionDays: int(env, 'PLUGHUB_AUDIT_RETENTION_DAYS', 365, 0, 36500) },
  };
}

/** The 32 key bytes of a PLUGHUB_SECRET_KEY value (64 hex digits, or base64 / base64url), or null. */
export function decodeSecretKey(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) return null;
  const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : null;
}

/**
 * The JWT signing secret: the configured one, else a random one kept in the data dir so tokens survive restarts
 * in development. With an in-memory database nothing is written to disk.
 */
export function resolveJwtSecret(config: AuthConfig): string {
  if (config.jwt.secret) return config.jwt.secret;
  if (config.secretDir === null) return randomBytes(48).toString('base64url');
  const file = join(config.secretDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensureDataDir(config.secretDir);
  const secret = randomBytes(48).toString('base64url');
  // `wx`: never overwrite a secret another process wrote meanwhile; 0600 from the first byte (the umask may only
  // remove bits), and the chmod makes sure whatever the umask.
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  chmodSync(file, 0o600);
  return secret;
}

/** Creates the data directory readable by its owner only (0700), as the engine's files in it are 0600. */
export function ensureDataDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}
