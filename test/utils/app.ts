import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { App } from 'supertest/types';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, setUpApp } from '../../src/app.setup';
import { DatabaseServer } from '../../src/database/database-server';
import { createTestDatabase, type TestDatabase } from './test-database';

/** Boots the real AppModule in this process, created as `main.ts` creates it, on the given database. */
export async function bootApp(
  databaseUrl: string,
): Promise<INestApplication<App>> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(DatabaseServer)
    .useValue(new DatabaseServer(databaseUrl))
    .compile();
  const app =
    moduleRef.createNestApplication<INestApplication<App>>(APP_OPTIONS);
  app.useLogger(['error']);
  setUpApp(app);
  await app.init();
  return app;
}

export interface BootedApp {
  database: TestDatabase;
  app: INestApplication<App>;
}

/**
 * For the calling `describe`: a fresh database with the app booted on it before its tests, both
 * gone after them. Read `database` and `app` inside hooks and tests, once they are set.
 */
export function bootAppOnTestDatabase(): BootedApp {
  const booted = {} as BootedApp;
  beforeAll(async () => {
    booted.database = await createTestDatabase();
    booted.app = await bootApp(booted.database.url);
  });
  afterAll(async () => {
    await booted.app?.close();
    await booted.database?.drop();
  });
  return booted;
}
