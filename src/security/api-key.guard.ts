import {
  CanActivate,
  ExecutionContext,
  HttpStatus,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { domainError } from '../common/domain.error';
import { Environment } from '../config/environment';
import { IS_PUBLIC } from './public.decorator';

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

const BEARER = /^Bearer (\S+)$/;

/** Equal-length digests, so that the comparison takes as long whatever the key's length. */
const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * With `API_KEYS` set, every route not marked `@Public()` requires `Authorization: Bearer <key>`
 * with one of them. Without it, the service is open, and says so once at start.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger(ApiKeyGuard.name);
  private readonly keys: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    config: ConfigService<Environment, true>,
  ) {
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

  canActivate(context: ExecutionContext): boolean {
    if (
      this.keys.length === 0 ||
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return true;
    }
    const http = context.switchToHttp();
    const given = BEARER.exec(
      http.getRequest<Request>().headers.authorization ?? '',
    )?.[1];
    if (given !== undefined) {
      const candidate = digest(given);
      // Every key is compared, so the time taken does not tell which one matched.
      let valid = false;
      for (const key of this.keys) {
        valid = timingSafeEqual(candidate, key) || valid;
      }
      if (valid) return true;
    }
    http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer');
    throw new UnauthorizedError();
  }
}
