import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { APP_OPTIONS, AppModule } from './app.module';
import { Environment, NEST_LOG_LEVELS } from './config/environment';

/**
 * Node's default (511) overflows under a burst of thousands of connects, and clients then
 * wait 1-3 s for SYN retries. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, {
    ...APP_OPTIONS,
    // A failed start-up is reported once, below, rather than as a logged stack trace.
    abortOnError: false,
    bufferLogs: true,
    autoFlushLogs: false,
  });
  const config = app.get(ConfigService<Environment, true>);
  app.useLogger(NEST_LOG_LEVELS[config.get('LOG_LEVEL', { infer: true })]);
  app.flushLogs();
  app.enableShutdownHooks();
  await app.init();
  const server = app.getHttpServer() as Server;
  server.listen({
    port: config.get('PORT', { infer: true }),
    backlog: LISTEN_BACKLOG,
  });
  await once(server, 'listening');
}

bootstrap().catch((error: unknown) => {
  console.error(
    `Start-up failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
