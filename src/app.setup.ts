import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import type { Application, NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { answerClientErrors } from './common/client-errors';
import { parseJsonBody } from './common/json-body.middleware';
import { setUpOpenApi } from './docs/openapi';
import { requestLogger } from './logging/logging.module';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { ApiKeyMiddleware } from './security/api-key.middleware';
import { securityHeaders } from './security/security-headers';

/** How the app must be created, by `main.ts` and by tests alike: it parses bodies itself. */
export const APP_OPTIONS = {
  bodyParser: false,
} satisfies NestApplicationOptions;

/**
 * Everything a request goes through before its route, in order, for `main.ts` and tests
 * alike. Mounted before `init`, so ahead of the routes Nest registers then, and of the docs:
 * nothing routes a request or reads its body before its API key is checked. What Node's HTTP
 * parser refuses before Express sees it is answered in the catalogue's shape too.
 */
export function setUpApp(app: INestApplication): void {
  // Express hashes every body it sends for a weak ETag, a hash per answer that no caller of
  // this API uses: no route answers 304.
  (app.getHttpAdapter().getInstance() as Application).set('etag', false);
  const metrics = app.get(HttpMetricsMiddleware);
  const apiKeys = app.get(ApiKeyMiddleware);
  // Logged and counted first, so that refusals for a missing key are too.
  app.use(requestLogger());
  app.use((request: Request, response: Response, next: NextFunction) =>
    metrics.use(request, response, next),
  );
  app.use(securityHeaders());
  app.use((request: Request, response: Response, next: NextFunction) =>
    apiKeys.use(request, response, next),
  );
  setUpOpenApi(app);
  app.use(parseJsonBody);
  answerClientErrors(app.getHttpServer() as Server);
}
