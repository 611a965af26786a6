import type { INestApplication } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'supertest/types';
import { bootApp } from '../utils/app';
import { send } from '../utils/client';
import { freePort } from '../utils/free-port';
import {
  type OwnedPostgres,
  startOwnedPostgres,
} from '../utils/owned-postgres';

interface FeedPage {
  items: { type: string; userId: number }[];
  nextCursor: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function listen(app: INestApplication<App>): Promise<string> {
  const server = app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Retries while the instance's pool replaces the connections PostgreSQL's restart broke. */
async function until200(url: string, path: string, body?: unknown) {
  for (const started = Date.now(); Date.now() - started < 20_000;) {
    const outcome = await send(url, path, {
      method: body === undefined ? 'GET' : 'POST',
      body,
    });
    if (outcome.status === 200) return outcome;
    await sleep(200);
  }
  throw new Error(`${path} never answered 200`);
}

/**
 * PostgreSQL restarts while a request waits on the change feed of one instance; a change made
 * through the other instance afterwards must still wake it, through the waiting instance's
 * listener, which has reconnected. A server of the test's own: never the machine's shared one.
 */
describe('the change feed across a PostgreSQL restart', () => {
  let dataDir: string;
  let port: number;
  let postgres: OwnedPostgres | undefined;
  let apps: INestApplication<App>[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'balance-feed-pg-'));
    port = await freePort();
    postgres = await startOwnedPostgres(dataDir, port);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('wakes a request that waited through the restart when another instance commits', async () => {
    apps = [await bootApp(postgres!.url), await bootApp(postgres!.url)];
    const [writer, reader] = await Promise.all(apps.map(listen));
    let cursor: string | undefined;
    for (let seen = false; !seen;) {
      const outcome = await send(
        reader,
        `/events?waitSeconds=5${cursor ? `&after=${cursor}` : ''}`,
        { method: 'GET' },
      );
      const page = outcome.body as unknown as FeedPage;
      seen = page.items.some((e) => e.type === 'opening' && e.userId === 1);
      cursor = page.nextCursor;
    }
    const waiting = send(reader, `/events?after=${cursor}&waitSeconds=30`, {
      method: 'GET',
      timeoutMs: 60_000,
    });
    await sleep(300);

    await postgres!.stop();
    postgres = await startOwnedPostgres(dataDir, port);
    await until200(reader, '/health');
    await until200(writer, '/health');
    // Long enough for the reader's listener to have reconnected.
    await sleep(6_000);
    await until200(writer, '/users/1/balance', { amount: -1 });
    const committed = Date.now();

    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(
      (answer.body as unknown as FeedPage).items.map((e) => e.type),
    ).toEqual(['debit']);
    expect(Date.now() - committed).toBeLessThan(2_000);
  });
});
