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

  it('answers /health/live with 200 without asking PostgreSQL', async () => {
    await request(app.getHttpServer())
      .get('/health/live')
      .expect(200, { status: 'ok', info: {}, error: {}, details: {} });
  });

  it('answers 503 SERVICE_UNAVAILABLE once PostgreSQL is gone, and stays live', async () => {
    await database.drop();
    const started = Date.now();
    const response = await request(app.getHttpServer())
      .get('/health')
      .expect(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.body).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'SERVICE_UNAVAILABLE',
    });
    await request(app.getHttpServer()).get('/health/live').expect(200);
  });
});
