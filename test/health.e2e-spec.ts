import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types';
import { bootApp } from './utils/app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

describe('GET /health', () => {
  let database: TestDatabase;
  let app: INestApplication<App>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await bootApp(database.url);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('answers 200 when PostgreSQL answers', async () => {
    const response = await request(app.getHttpServer())
      .get('/health')
      .expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' } },
    });
  });

  it('answers 503 SERVICE_UNAVAILABLE once PostgreSQL is gone', async () => {
    await database.drop();
    const response = await request(app.getHttpServer())
      .get('/health')
      .expect(503);
    expect(response.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
