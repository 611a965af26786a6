import request from 'supertest';
import { bootAppOnTestDatabase } from './utils/app';

interface BalanceAtBody {
  userId: number;
  at: string;
  balance: number;
  version: number;
  transactionId: number | null;
}

describe('GET /users/:id/balance?at=', () => {
  const booted = bootAppOnTestDatabase();
  const http = () => request(booted.app.getHttpServer());

  const balanceAt = (userId: number | string, at: string) =>
    http().get(`/users/${userId}/balance?at=${encodeURIComponent(at)}`);

  it('answers the balance right after the last balance transaction at or before `at`', async () => {
    const created = await http().post('/users').send({ balance: 100 });
    const userId = (created.body as { id: number }).id;
    const changes: { transactionId: number; createdAt: string }[] = [];
    for (const amount of [50, -30]) {
      const { transactionId } = (
        await http()
          .post(`/users/${userId}/balance`)
          .send({ amount })
          .expect(200)
      ).body as { transactionId: number };
      const entry = await http()
        .get(`/transactions/${transactionId}`)
        .expect(200);
      changes.push({
        transactionId,
        createdAt: (entry.body as { createdAt: string }).createdAt,
      });
    }
    await balanceAt(userId, '2000-01-01T00:00:00Z').expect(200, {
      userId,
      at: '2000-01-01T00:00:00Z',
      balance: 0,
      version: 0,
      transactionId: null,
    });
    // The entry's own createdAt, read back from the API, names it exactly.
    const atCredit = await balanceAt(userId, changes[0].createdAt).expect(200);
    expect(atCredit.body).toEqual({
      userId,
      at: changes[0].createdAt,
      balance: 150,
      version: 2,
      transactionId: changes[0].transactionId,
    });
    const later = await balanceAt(userId, '9999-12-31T23:59:59.999999-14:00');
    expect(later.status).toBe(200);
    expect(later.body as BalanceAtBody).toMatchObject({
      balance: 120,
      version: 3,
      transactionId: changes[1].transactionId,
    });
    // The same moment in another offset is the same moment.
    const utc = new Date(changes[1].createdAt);
    const inParis = new Date(utc.getTime() + 3_600_000)
      .toISOString()
      .replace('Z', '+01:00');
    expect(
      ((await balanceAt(userId, inParis).expect(200)).body as BalanceAtBody)
        .transactionId,
    ).toBe(changes[1].transactionId);
  });

  it('answers 404 USER_NOT_FOUND for a user that does not exist', async () => {
    const response = await balanceAt(2_000_000_000, '2026-01-01T00:00:00Z');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'USER_NOT_FOUND' });
  });

  it.each([
    [''],
    ['yesterday'],
    ['2026-01-01'],
    ['2026-01-01T00:00:00'],
    ['2026-01-01 00:00:00Z'],
    ['2026-02-29T00:00:00Z'],
    ['2026-13-01T00:00:00Z'],
    ['0000-01-01T00:00:00Z'],
    ['2026-01-01T24:00:00Z'],
    ['2016-12-31T23:59:60Z'],
    ['2026-01-01T00:00:00+15:00'],
    ['2026-01-01T00:00:00.1234567890Z'],
    ['1767225600000'],
  ])('answers 400 VALIDATION_FAILED for at=%j', async (at) => {
    const response = await balanceAt(1, at);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers 400 VALIDATION_FAILED without `at`, with two, or with an unknown parameter', async () => {
    for (const query of [
      '',
      '?at=2026-01-01T00:00:00Z&at=2026-01-02T00:00:00Z',
      '?at=2026-01-01T00:00:00Z&limit=2',
    ]) {
      const response = await http().get(`/users/1/balance${query}`);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const badId = await http().get('/users/0/balance?at=2026-01-01T00:00:00Z');
    expect(badId.status).toBe(400);
  });

  it('accepts a leap day and a lower-case t and z', async () => {
    await balanceAt(1, '2024-02-29T12:00:00.5+05:30').expect(200);
    await balanceAt(1, '2026-06-01t00:00:00z').expect(200);
  });
});
