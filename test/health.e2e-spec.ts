import request from 'supertest';
import { bootAppOnTestDatabase } from './utils/app';

describe('GET /health', () => {
  const booted = bootAppOnTestDatabase();

  it('answers 200 when PostgreSQL answers', async () => {
    const response = await request(booted.app.getHttpServer())
      .get('/health')
      .expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' } },
    });
  });

  it('answers /health/live with 200 without asking PostgreSQL', async () => {
    await request(booted.app.getHttpServer())
      .get('/health/live')
      .expect(200, { status: 'ok', info: {}, error: {}, details: {} });
  });

  it('answers 503 SERVICE_UNAVAILABLE once PostgreSQL is gone, and stays live', async () => {
    await booted.database.drop();
    const started = Date.now();
    const response = await request(booted.app.getHttpServer())
      .get('/health')
      .expect(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.body).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'SERVICE_UNAVAILABLE',
    });
    await request(booted.app.getHttpServer()).get('/health/live').expect(200);
  });
});
