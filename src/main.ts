import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { APP_OPTIONS, setUpApp } from './app.setup';
import { Environment } from './config/environment';
import { DatabaseServer } from './database/database-server';

/**
 * Node's default (511) overflows under a burst of thousands of connects, and clients then
 * wait 1-3 s for SYN retries. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

/** Requests in flight get this long to finish after SIGTERM; below Docker's grace in compose. */
const SHUTDOWN_GRACE_MS = 10_000;

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, {
    ...APP_OPTIONS,
    // A failed start-up is reported once, below, rather than as a logged stack trace.
    abortOnError: false,
    bufferLogs: true,
    autoFlushLogs: false,
  });
  const config = app.get(ConfigService<Environment, true>);
  app.useLogger(app.get(Logger));
  app.flushLogs();
  setUpApp(app);
  exitOnSignals(app);
  await app.init();
  const server = app.getHttpServer() as Server;
  server.listen({
    port: config.get('PORT', { infer: true }),
    backlog: LISTEN_BACKLOG,
  });
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const database = app.get(DatabaseServer).describe();
  app
    .get(Logger)
    .log(`Listening on http://${host}:${port} (PostgreSQL: ${database})`);
}

/**
 * On SIGTERM or SIGINT: stop accepting, let requests in flight finish and answer, close the
 * pool, exit 0. Nest's own shutdown hooks would re-raise the signal, and the exit would then be
 * by signal; past the grace period the process exits 1 with whatever is still open.
 */
function exitOnSignals(app: INestApplication): void {
  const logger = app.get(Logger);
  const shutDown = (signal: NodeJS.Signals) => {
    logger.log(`${signal} received: draining requests in flight`);
    setTimeout(() => {
      logger.error(`Requests still in flight after ${SHUTDOWN_GRACE_MS} ms`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutDown);
  process.once('SIGINT', shutDown);
}

bootstrap().catch((error: unknown) => {
  console.error(
    `Start-up failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
