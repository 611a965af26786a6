import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from 'supertest/types';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, setUpApp } from '../../src/app.setup';
import { validateEnvironment } from '../../src/config/environment';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface BootOptions {
  /** Variables the app's configuration reads, as a deployment would set them (e.g. API_KEYS). */
  environment?: Record<string, string>;
  /** Where Nest's log goes; by default, errors only, to the console. */
  logger?: LoggerService | LogLevel[];
}

/**
 * Boots the real AppModule in this process, created as `main.ts` creates it, on the given
 * database: its configuration is the environment's, with DATABASE_URL and `environment` on top.
 */
export async function bootApp(
  databaseUrl: string,
  { environment = {}, logger = ['error'] }: BootOptions = {},
): Promise<INestApplication<App>> {
  const configuration = validateEnvironment({
    ...process.env,
    ...environment,
    DATABASE_URL: databaseUrl,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(ConfigService)
    .useValue(new ConfigService(configuration))
    .compile();
  const app =
    moduleRef.createNestApplication<INestApplication<App>>(APP_OPTIONS);
  app.useLogger(logger);
  setUpApp(app);
  await app.init();
  return app;
}

/**
 * Boots the app with its modules loaded afresh, in a module registry of their own, as a new
 * process would load them: nothing an app loaded before kept in module state carries over.
 * The registry stays in force until `use` is done and the app closed, for what the app
 * requires late.
 */
export async function withAppLoadedAfresh<T>(
  databaseUrl: string,
  use: (app: INestApplication<App>) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await jest.isolateModulesAsync(async () => {
    const fresh = jest.requireActual<typeof import('./app')>('./app');
    const app = await fresh.bootApp(databaseUrl);
    try {
      result = await use(app);
    } finally {
      await app.close();
    }
  });
  return result as T;
}

/**
 * Makes a booted app listen on a free port of 127.0.0.1, with the backlog `main.ts` gives it,
 * for what needs a real socket: raw bytes, bursts over fresh connections, a request left
 * half-sent. Resolves with its base URL; `app.close()` stops it.
 */
export async function listen(app: INestApplication<App>): Promise<string> {
  const server = app.getHttpServer() as Server;
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface BootedApp {
  database: TestDatabase;
  app: INestApplication<App>;
}

/**
 * For the calling `describe`: a fresh database with the app booted on it before its tests, both
 * gone after them. Read `database` and `app` inside hooks and tests, once they are set.
 */
export function bootAppOnTestDatabase(options?: BootOptions): BootedApp {
  const booted = {} as BootedApp;
  beforeAll(async () => {
    booted.database = await createTestDatabase();
    booted.app = await bootApp(booted.database.url, options);
  });
  afterAll(async () => {
    await booted.app?.close();
    await booted.database?.drop();
  });
  return booted;
}
