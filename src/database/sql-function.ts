import type { QueryResultRow } from 'pg';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { queryInTransaction } from './sequelize-internals';

/**
 * How long a call of a money function may wait for its answer. It waits for its users' row
 * locks, and a hot user's lock is a queue: under a burst on a busy machine the holders ahead
 * release it only as fast as their processes get to send COMMIT, so the wait can pass the 10 s
 * that bound every other query (which tell a frozen server). A request waits for its turn at a
 * row as long as the default wait for a connection.
 */
const TURN_TIMEOUT_MS = 60_000;

/**
 * One function of `db/functions`, as the repositories call it: with named, typed arguments
 * (sent as bound parameters in PostgreSQL's named notation, `p_user_id => $1`, so an argument
 * can never land in another's place) and a typed row. Every money function returns one row.
 *
 *     const CHANGE_BALANCE = new SqlFunction<ChangeBalanceArgs, ChangeBalanceRow>(
 *       'ledger_change_balance', { userId: 'p_user_id', amount: 'p_amount', … });
 */
export class SqlFunction<Args extends object, Row extends QueryResultRow> {
  private readonly text: string;
  private readonly order: (keyof Args)[];

  constructor(
    readonly name: string,
    parameters: { [Name in keyof Args]-?: `p_${string}` },
    /** What to select of its result `r`; the fields of a composite column need naming. */
    select = '*',
  ) {
    this.order = Object.keys(parameters) as (keyof Args)[];
    const named = this.order.map(
      (argument, index) => `${parameters[argument]} => $${index + 1}`,
    );
    this.text = `SELECT ${select} FROM ${name}(${named.join(', ')}) r`;
  }

  /** Calls the function in `transaction` and resolves with its row. */
  async call(transaction: Transaction, args: Args): Promise<Row> {
    const [row] = await queryInTransaction<Row>(
      transaction,
      this.text,
      this.order.map((argument) => args[argument]),
      TURN_TIMEOUT_MS,
    );
    return row;
  }

  /**
   * Calls a function that only reads, through the pool and outside any transaction: one round
   * trip, where a managed transaction would add BEGIN and COMMIT.
   */
  async read(sequelize: Sequelize, args: Args): Promise<Row> {
    const [row] = await sequelize.query<Row>(this.text, {
      bind: this.order.map((argument) => args[argument]),
      type: QueryTypes.SELECT,
    });
    return row;
  }
}

/**
 * Runs `work` in the caller's transaction (an idempotency key's, which must commit with the
 * change) or else in a managed transaction of its own: committed when `work` resolves, rolled
 * back when it throws.
 */
export function inTransaction<T>(
  sequelize: Sequelize,
  transaction: Transaction | undefined,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  return transaction ? work(transaction) : sequelize.transaction(work);
}
