import express, { type Request, type Response } from 'express';
import { changeBalance, SCHEMA, sequelize } from './reference-design';

/**
 * The reference design the service is measured against: Express and Sequelize, one conditional
 * UPDATE in autocommit; no row lock taken first, no ledger, no transaction, no idempotency. It
 * answers a balance change as the service does (200, 404 USER_NOT_FOUND, 409
 * INSUFFICIENT_FUNDS), so that the benchmark's exactness checks apply to it unchanged.
 *
 * With REFERENCE_TRANSACTION=managed, the UPDATE runs in a managed Sequelize transaction
 * (START TRANSACTION, the UPDATE, COMMIT), as the service's design requires, and nothing else
 * changes: what that costs the reference is a bound on how close the service can come to it.
 */

const managed = process.env.REFERENCE_TRANSACTION === 'managed';

const MAX_ID = 2 ** 31 - 1;

const error = (response: Response, status: number, code: string) =>
  response.status(status).json({ statusCode: status, code });

const app = express();
app.use(express.json());

app.post(
  '/users/:id/balance',
  async (request: Request<{ id: string }>, response: Response) => {
    const id = Number(request.params.id);
    const amount = (request.body as { amount?: unknown } | undefined)?.amount;
    if (
      !/^[1-9][0-9]{0,9}$/.test(request.params.id) ||
      id > MAX_ID ||
      !Number.isSafeInteger(amount) ||
      amount === 0
    ) {
      error(response, 400, 'VALIDATION_FAILED');
      return;
    }
    const [row] = await (managed
      ? sequelize.transaction((transaction) =>
          changeBalance(id, amount as number, transaction),
        )
      : changeBalance(id, amount as number));
    if (row.balance !== null) {
      response.json({ userId: id, balance: row.balance });
    } else if (!row.found) {
      error(response, 404, 'USER_NOT_FOUND');
    } else {
      error(response, 409, 'INSUFFICIENT_FUNDS');
    }
  },
);

void (async () => {
  await sequelize.query(SCHEMA);
  // The service's backlog: a burst of thousands of connects overflows Node's default of 511.
  app.listen({ port: Number(process.env.PORT), backlog: 4096 });
})();
