import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;

/**
 * Keys are separated by commas; none may be empty or contain spaces. Each is `secret` or
 * `name=secret` (an entry with `=` is always the latter, so a secret with `=` needs a name).
 */
const KEY = '(?:[^\\s,=]+|[A-Za-z0-9._-]{1,64}=[^\\s,]+)';
const KEY_LIST = new RegExp(`^${KEY}(,${KEY})*$`);

/**
 * Every variable the service reads, with its default. Documented in `.env.example`.
 * Decorators run bottom-up and stop at the first failure: the type first, then the range.
 */
export class Environment {
  @Min(1)
  @Max(65535)
  @IsInt()
  PORT: number = 3000;

  /** Unset: an embedded PostgreSQL under `.data/` (zero setup). */
  @IsOptional()
  @Matches(POSTGRES_URL, { message: '$property must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Min(1)
  @Max(1000)
  @IsInt()
  DB_POOL_MAX: number = 10;

  /**
   * How long a request waits for a pooled connection before a 503. A burst of 10000 requests
   * queues here, so the default outlasts its drain.
   */
  @Min(100)
  @Max(600_000)
  @IsInt()
  DB_POOL_ACQUIRE_TIMEOUT_MS: number = 60_000;

  /**
   * For migrations and the seed, which hold a session advisory lock: a direct connection when
   * DATABASE_URL goes through a transaction-pooling PgBouncer. Unset: DATABASE_URL.
   */
  @IsOptional()
  @Matches(POSTGRES_URL, { message: '$property must be a postgres:// URL' })
  DATABASE_MIGRATION_URL?: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /**
   * Bearer keys accepted on every route but health and metrics, each named by the `actor`
   * recorded on what it does. Unset: the service is open.
   */
  @IsOptional()
  @Matches(KEY_LIST, {
    message:
      '$property must be keys separated by commas, each `secret` or `name=secret` (name: 1 to 64 of A-Z a-z 0-9 . _ -), without spaces',
  })
  API_KEYS?: string;
}

class InvalidEnvironmentError extends Error {}

/**
 * Validates and types the environment. An empty variable counts as unset, so that
 * `DATABASE_URL=` in a `.env` file means "use the default".
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const present = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== ''),
  );
  const environment = plainToInstance(Environment, present, {
    enableImplicitConversion: true,
  });
  const [error] = validateSync(environment, { stopAtFirstError: true });
  if (error) {
    const reasons = Object.values(error.constraints ?? {}).join(', ');
    throw new InvalidEnvironmentError(`Invalid configuration: ${reasons}`);
  }
  return environment;
}
