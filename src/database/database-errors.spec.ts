import {
  ConnectionAcquireTimeoutError,
  ConnectionError,
  DatabaseError,
} from 'sequelize';
import {
  isCommitOutcomeUnknown,
  isConnectionUnusable,
  isDatabaseUnavailable,
} from './database-errors';

/** A failure as Sequelize raises it: pg's error, with its SQLSTATE if any, in a DatabaseError. */
function failed(message: string, code?: string, sql = 'SELECT 1'): Error {
  return new DatabaseError(Object.assign(new Error(message), { code, sql }));
}

describe('database errors', () => {
  it.each([
    [
      'a standby refusing a write',
      failed('cannot execute INSERT in a read-only transaction', '25006'),
    ],
    [
      'a backend terminated by the administrator',
      failed('terminating connection due to administrator command', '57P01'),
    ],
    [
      'a backend killed by a crash of another',
      failed('terminating connection because of crash', '57P02'),
    ],
    [
      'a server not yet accepting',
      failed('the database system is starting up', '57P03'),
    ],
    ['a reset connection', failed('read ECONNRESET', 'ECONNRESET')],
    ['a closed socket', failed('Connection terminated unexpectedly')],
    [
      'a client after its connection failed',
      failed('Client has encountered a connection error and is not queryable'),
    ],
    ['an answer that never came', failed('Query read timeout')],
    ['a lost connection at connect', new ConnectionError(new Error('x'))],
  ])(
    'takes %s for an unavailable node whose connection is discarded',
    (_, error) => {
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(isConnectionUnusable(error)).toBe(true);
      expect(isCommitOutcomeUnknown(error)).toBe(false);
    },
  );

  it.each([
    [
      'a lock not granted within lock_timeout',
      failed('canceling statement due to lock timeout', '55P03'),
    ],
    ['too many connections', failed('sorry, too many clients', '53300')],
  ])('takes %s for a busy node whose connection is kept', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isConnectionUnusable(error)).toBe(false);
  });

  it('takes a bug for a bug', () => {
    const error = failed('syntax error at or near "SELEC"', '42601');
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(isConnectionUnusable(error)).toBe(false);
    expect(isCommitOutcomeUnknown(error)).toBe(false);
  });

  it.each([
    ['a reset', failed('read ECONNRESET', 'ECONNRESET', 'COMMIT;')],
    [
      'a closed socket',
      failed('Connection terminated unexpectedly', undefined, 'COMMIT;'),
    ],
    [
      'a terminated backend',
      failed('terminating connection', '57P01', 'COMMIT;'),
    ],
    ['a timeout', failed('Query read timeout', undefined, 'COMMIT;')],
  ])('takes %s during COMMIT for an unknown outcome', (_, error) => {
    expect(isCommitOutcomeUnknown(error)).toBe(true);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('takes a refusal of COMMIT for a known outcome (rolled back)', () => {
    const error = failed(
      'could not serialize access due to concurrent update',
      '40001',
      'COMMIT;',
    );
    expect(isCommitOutcomeUnknown(error)).toBe(false);
    expect(
      isCommitOutcomeUnknown(
        new ConnectionAcquireTimeoutError(new Error('timeout')),
      ),
    ).toBe(false);
  });
});
