import { Module, RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { Environment } from '../config/environment';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A caller's id is kept only if it is short and plain, so it cannot forge or bloat log lines. */
const ACCEPTED_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Probes would otherwise be most of the log. */
const UNLOGGED_PATHS = /^\/(health|metrics)(\/|$)/;

function requestId(request: IncomingMessage, response: ServerResponse): string {
  const given = request.headers['x-request-id'];
  const id =
    typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given)
      ? given
      : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/**
 * One line per request, at the end, at a level set by its outcome: a bug at `error`, a refusal
 * at `info`, a success at `debug`. Under a burst, successes are most requests, and the default
 * level (`info`) then writes only what someone may need to look at.
 */
function levelOf(
  _request: IncomingMessage,
  response: ServerResponse,
  error?: Error,
): 'error' | 'info' | 'debug' {
  if (error || response.statusCode >= 500) return 'error';
  return response.statusCode >= 400 ? 'info' : 'debug';
}

/**
 * Pretty, coloured lines for a person at a terminal in development; JSON everywhere else.
 * `pino-pretty` is a dev dependency, absent from the production image.
 */
function prettyTransport(): Options['transport'] {
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

/** Structured JSON logs (pino) for the app's own messages and for every request. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
        pinoHttp: {
          level: config.get('LOG_LEVEL', { infer: true }),
          transport: prettyTransport(),
          genReqId: requestId,
          customLogLevel: levelOf,
          autoLogging: {
            ignore: (request) => UNLOGGED_PATHS.test(request.url ?? ''),
          },
          // Only what identifies the request: headers may carry API keys.
          serializers: {
            req: (request: { id: string; method: string; url: string }) => ({
              id: request.id,
              method: request.method,
              url: request.url,
            }),
            res: (response: { statusCode: number }) => ({
              statusCode: response.statusCode,
            }),
          },
          quietReqLogger: true,
        },
      }),
    }),
  ],
})
export class LoggingModule {}
