import {
  HttpStatus,
  Injectable,
  Logger,
  NestMiddleware,
  OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { domainError } from '../common/domain.error';
import { Environment } from '../config/environment';

export class UnauthorizedError extends domainError({
  code: 'UNAUTHORIZED',
  status: HttpStatus.UNAUTHORIZED,
  example: {
    message: 'A valid API key is required: Authorization: Bearer <key>',
  },
}) {
  constructor() {
    super('A valid API key is required: Authorization: Bearer <key>');
  }
}

/**
 * The only paths open without a key: probes and scrapers. Matched as Express routes are,
 * ignoring case and a trailing slash; everything else, unknown paths included, needs a key.
 */
const OPEN_PATHS = /^\/(health(\/.*)?|metrics\/?)$/i;

const BEARER = /^Bearer (\S+)$/;

/** Equal-length digests, so that the comparison takes as long whatever the key's length. */
const digest = (key: string) => createHash('sha256').update(key).digest();

/** Where the middleware leaves who the caller is, for what is kept per caller. */
export const CALLER = Symbol('caller');

/** Where the middleware leaves the name of the caller's API key, the `actor` of what it does. */
export const ACTOR = Symbol('actor');

export type RequestWithCaller = Request & {
  /** The hex SHA-256 of the caller's API key; unset when the service is open. */
  [CALLER]?: string;
  /** The name of the caller's API key; unset when the service is open. */
  [ACTOR]?: string;
};

interface ApiKey {
  digest: Buffer;
  /** Its name in API_KEYS, else `key-` and 8 hex digits of its SHA-256: never the secret. */
  name: string;
}

/** `secret` or `name=secret` (validated by Environment): an entry with `=` has a name. */
function apiKeyOf(entry: string): ApiKey {
  const separator = entry.indexOf('=');
  const secret = separator === -1 ? entry : entry.slice(separator + 1);
  const key = digest(secret);
  return {
    digest: key,
    name:
      separator === -1
        ? `key-${key.toString('hex').slice(0, 8)}`
        : entry.slice(0, separator),
  };
}

/**
 * With `API_KEYS` set, every request but to the open paths needs `Authorization: Bearer <key>`
 * with one of them. It runs before routing and before the body is read (see `setUpApp`), so a
 * caller without a key learns nothing of the routes and makes the service parse nothing.
 * Without `API_KEYS`, the service is open, and says so once at start.
 */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware, OnModuleInit {
  private readonly logger = new Logger(ApiKeyMiddleware.name);
  private readonly keys: ApiKey[];

  constructor(config: ConfigService<Environment, true>) {
    this.keys = (config.get('API_KEYS', { infer: true }) ?? '')
      .split(',')
      .filter(Boolean)
      .map(apiKeyOf);
  }

  onModuleInit(): void {
    if (this.keys.length === 0) {
      this.logger.warn(
        'API_KEYS is not set: every route is open to anyone who can reach the service',
      );
    }
  }

  use(
    request: RequestWithCaller,
    response: Response,
    next: NextFunction,
  ): void {
    if (this.keys.length === 0 || OPEN_PATHS.test(request.path)) {
      next();
      return;
    }
    const given = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const caller = given === undefined ? undefined : this.keyOf(given);
    if (caller) {
      request[CALLER] = caller.digest;
      request[ACTOR] = caller.name;
      next();
      return;
    }
    response.setHeader('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError());
  }

  /** The hex digest of the given key and its name, when it is one of API_KEYS. */
  private keyOf(given: string): { digest: string; name: string } | undefined {
    const candidate = digest(given);
    // Every key is compared, so the time taken does not tell which one matched.
    let matched: ApiKey | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(candidate, key.digest)) {
        matched = key;
      }
    }
    return matched && { digest: candidate.toString('hex'), name: matched.name };
  }
}
