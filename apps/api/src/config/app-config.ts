import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LogLevel } from '@app/common';

export const APP_CONFIG = Symbol('APP_CONFIG');

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  /** A MongoDB connection string; null starts the embedded engine. */
  mongodbUri: string | null;
  /** Embedded engine only: keep data in memory instead of the data dir (tests). */
  memoryDatabase: boolean;
  jwt: { secret: string | null; ttlSeconds: number };
  admin: { email: string; password: string | null };
  logLevel: LogLevel;
  openSignup: boolean;
  pagination: { default: number; max: number };
  limits: { bodyBytes: number; uploadBytes: number };
  samples: boolean;
  natsUrl: string | null;
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

  return {
    env: nodeEnv,
    host: str(env, 'HOST') ?? '0.0.0.0',
    port: int(env, 'PORT', 3000, 0, 65535),
    dataDir: resolve(str(env, 'PLUGHUB_DATA_DIR') ?? './data'),
    mongodbUri,
    memoryDatabase: bool(env, 'PLUGHUB_DB_MEMORY', false),
    jwt: { secret, ttlSeconds: int(env, 'PLUGHUB_JWT_TTL', 3600, 60, 30 * 24 * 3600) },
    admin: { email: adminEmail.toLowerCase(), password: adminPassword },
    logLevel: oneOf(env, 'PLUGHUB_LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    openSignup: bool(env, 'PLUGHUB_OPEN_SIGNUP', false),
    pagination: { default: pageDefault, max: pageMax },
    // JSON bodies carry base64 artifacts, which are a third larger than the bytes they encode.
    limits: { bodyBytes: Math.ceil(uploadBytes * 1.4) + 64 * 1024, uploadBytes },
    samples: bool(env, 'PLUGHUB_SAMPLES', nodeEnv !== 'production'),
    natsUrl,
  };
}

/**
 * The JWT signing secret: the configured one, else a random one kept in the data dir so tokens
 * survive restarts in development. With an in-memory database nothing is written to disk.
 */
export function resolveJwtSecret(config: AppConfig): string {
  if (config.jwt.secret) return config.jwt.secret;
  if (config.memoryDatabase) return randomBytes(48).toString('base64url');
  const file = join(config.dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
