import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types';
import { bootAppOnTestDatabase } from './utils/app';

const debit = (app: INestApplication<App>, id: number | string, body: string) =>
  request(app.getHttpServer())
    .post(`/users/${id}/balance`)
    .set('content-type', 'application/json')
    .send(body);

describe('metrics and request ids', () => {
  const booted = bootAppOnTestDatabase();

  it("returns the caller's X-Request-Id, or a new one", async () => {
    const given = await request(booted.app.getHttpServer())
      .get('/users/1')
      .set('X-Request-Id', 'trace-42')
      .expect(200);
    expect(given.headers['x-request-id']).toBe('trace-42');
    const generated = await request(booted.app.getHttpServer())
      .get('/users/1')
      .set('X-Request-Id', 'not\tplain')
      .expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts requests by route and status, and balance changes by outcome', async () => {
    await debit(booted.app, 1, '{"amount":-2}').expect(200);
    await debit(booted.app, 1, '{"amount":-2}').expect(200);
    await debit(booted.app, 1, '{"amount":-1000000}').expect(409);
    await debit(booted.app, 1, '{"amount":"x"}').expect(400);
    await debit(booted.app, 2, '{"amount":5}').expect(404);
    await debit(booted.app, 1, '{"amount":').expect(400);

    const { text } = await request(booted.app.getHttpServer())
      .get('/metrics')
      .expect(200)
      .expect('content-type', /text\/plain/);
    const metric = (line: string) =>
      Number(new RegExp(`^${escape(line)} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(metric('balance_changes_total{outcome="applied"}')).toBe(2);
    expect(metric('balance_changes_total{outcome="insufficient_funds"}')).toBe(
      1,
    );
    expect(metric('balance_changes_total{outcome="validation"}')).toBe(1);
    expect(metric('balance_changes_total{outcome="not_found"}')).toBe(1);
    expect(
      metric(
        'http_requests_total{method="POST",route="/users/:id/balance",status="200"}',
      ),
    ).toBe(2);
    expect(
      metric(
        'http_requests_total{method="POST",route="unmatched",status="400"}',
      ),
    ).toBe(1);
    expect(
      metric(
        'http_request_duration_seconds_count{method="POST",route="/users/:id/balance",status="409"}',
      ),
    ).toBe(1);
    expect(metric('db_pool_connections{state="open"}')).toBeGreaterThan(0);
    expect(metric('db_pool_waiting_requests')).toBe(0);
    expect(await booted.database.query('SELECT balance FROM users')).toEqual([
      { balance: 9_996 },
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
