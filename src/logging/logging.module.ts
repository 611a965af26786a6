import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import type { LoggerOptions } from 'pino';
import { Environment } from '../config/environment';

const REQUEST_ID_HEADER = 'X-Request-Id';

/** Where the request logger leaves the request's id, recorded with what the request changes. */
export const REQUEST_ID = Symbol('request-id');

export type RequestWithId = IncomingMessage & { [REQUEST_ID]?: string };

/** A caller's id is kept only if it is short and plain, so it cannot forge or bloat log lines. */
const ACCEPTED_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Probes would otherwise be most of the log. */
const UNLOGGED_PATHS = /^\/(health|metrics)(\/|$)/;

function requestId(request: RequestWithId, response: ServerResponse): string {
  const given = request.headers['x-request-id'];
  const id =
    typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given)
      ? given
      : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, id);
  request[REQUEST_ID] = id;
  return id;
}

/**
 * One line per request, at the end, at a level set by its outcome: a bug at `error`, a refusal
 * at `info`, a success at `debug`. Under a burst, successes are most requests, and the default
 * level (`info`) then writes only what someone may need to look at.
 */
function levelOf(response: ServerResponse): 'error' | 'info' | 'debug' {
  if (response.statusCode >= 500) return 'error';
  return response.statusCode >= 400 ? 'info' : 'debug';
}

/**
 * Pretty, coloured lines for a person at a terminal in development; JSON everywhere else.
 * `pino-pretty` is a dev dependency, absent from the production image.
 */
function prettyTransport(): LoggerOptions['transport'] {
  if (process.env.NODE_ENV === 'production' || !process.stdout.isTTY) {
    return undefined;
  }
  try {
    require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
  return { target: 'pino-pretty', options: { singleLine: true } };
}

/**
 * The request line, written on the root logger when the response is finished, and only when
 * its level is enabled. Not pino-http: it builds a child logger, serializing the request, for
 * every request, even when the line is then not written. Nor nestjs-pino's middleware: it runs
 * every request inside an AsyncLocalStorage, whose promise hooks every request pays for. So
 * messages logged while serving a request do not carry its id; the request line does.
 */
export function requestLogger(): (
  request: Request,
  response: Response,
  next: () => void,
) => void {
  return (request, response, next) => {
    // Mounted middleware sees a path relative to its mount; the original is the full one.
    if (UNLOGGED_PATHS.test(request.originalUrl)) {
      next();
      return;
    }
    const id = requestId(request, response);
    const started = performance.now();
    response.once('finish', () => {
      const level = levelOf(response);
      // Created by nestjs-pino while the app is set up, so read at the first request.
      const logger = PinoLogger.root;
      if (!logger.isLevelEnabled(level)) return;
      // Only what identifies the request: headers may carry API keys.
      logger[level](
        {
          requestId: id,
          method: request.method,
          url: request.originalUrl,
          statusCode: response.statusCode,
          responseTime: Math.round(performance.now() - started),
        },
        'request completed',
      );
    });
    next();
  };
}

/** Structured JSON logs (pino): the app's own messages through Nest's Logger, and one line per request. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        pinoHttp: {
          level: config.get('LOG_LEVEL', { infer: true }),
          transport: prettyTransport(),
        },
        // Its per-request middleware is replaced by `requestLogger`.
        forRoutes: [],
      }),
    }),
  ],
})
export class LoggingModule {}
