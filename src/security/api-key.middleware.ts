import {
  Injectable,
  Logger,
  NestMiddleware,
  OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../common/domain.error';
import { Environment } from '../config/environment';

export class UnauthorizedError extends DomainError {
  readonly code = 'UNAUTHORIZED';

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

/**
 * With `API_KEYS` set, every request but to the open paths needs `Authorization: Bearer <key>`
 * with one of them. It runs before routing and before the body is read (see `setUpApp`), so a
 * caller without a key learns nothing of the routes and makes the service parse nothing.
 * Without `API_KEYS`, the service is open, and says so once at start.
 */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware, OnModuleInit {
  private readonly logger = new Logger(ApiKeyMiddleware.name);
  private readonly keys: Buffer[];

  constructor(config: ConfigService<Environment, true>) {
    this.keys = (config.get('API_KEYS', { infer: true }) ?? '')
      .split(',')
      .filter(Boolean)
      .map(digest);
  }

  onModuleInit(): void {
    if (this.keys.length === 0) {
      this.logger.warn(
        'API_KEYS is not set: every route is open to anyone who can reach the service',
      );
    }
  }

  use(request: Request, response: Response, next: NextFunction): void {
    if (
      this.keys.length === 0 ||
      OPEN_PATHS.test(request.path) ||
      this.isValid(request.headers.authorization)
    ) {
      next();
      return;
    }
    response.setHeader('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError());
  }

  private isValid(authorization = ''): boolean {
    const given = BEARER.exec(authorization)?.[1];
    if (given === undefined) return false;
    const candidate = digest(given);
    // Every key is compared, so the time taken does not tell which one matched.
    let valid = false;
    for (const key of this.keys) {
      valid = timingSafeEqual(candidate, key) || valid;
    }
    return valid;
  }
}
