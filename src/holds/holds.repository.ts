import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import {
  type FindAttributeOptions,
  literal,
  Op,
  type Transaction,
  where as whereSql,
  type WhereOptions,
} from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import type { Annotation } from '../common/annotation.dto';
import { domainError } from '../common/domain.error';
import { keysetPage, type Page, type PageRequest } from '../common/keyset-page';
import { inTransaction, SqlFunction } from '../database/sql-function';
import type { Caller } from '../security/caller.decorator';
import { EventsListener } from '../events/events-listener';
import { available } from '../users/user.model';
import {
  InsufficientFundsError,
  UserNotFoundError,
  UsersRepository,
} from '../users/users.repository';
import {
  Hold,
  type HoldAttributes,
  HOLD_STATUS_NOW,
  type HoldStatus,
} from './hold.model';

/** A hold just placed, captured or voided, with its user's balance and available after it. */
export interface HoldChange {
  hold: HoldAttributes;
  balance: number;
  available: number;
}

/** The hold's row as the hold functions return it, in the composite column `hold`. */
interface HoldRow {
  id: number;
  user_id: number;
  amount: number;
  status: HoldStatus;
  captured_amount: number | null;
  expires_at: Date;
  created_at: Date;
  reference: string | null;
  description: string | null;
  actor: string | null;
  request_id: string | null;
  transaction_id: number | null;
}

/** The hold function changed the hold: its row, and its user's balance and held after it. */
type AppliedRow = {
  outcome: 'applied';
  balance: number;
  held: number;
} & HoldRow;

type PlaceHoldRow =
  | AppliedRow
  | { outcome: 'insufficient_funds'; balance: number; held: number }
  | { outcome: 'user_not_found' };

/** A capture's or a void's: the hold was not there, or no longer active. */
type SettleHoldRow =
  | AppliedRow
  | { outcome: 'hold_not_found' }
  | { outcome: 'hold_not_active'; status: HoldStatus };

/** The outcome, the user's balance and held after it, the hold's status then and its row. */
const HOLD_OPERATION = `r.outcome, r.balance, r.held, r.status, (r.hold).id, (r.hold).user_id,
  (r.hold).amount, (r.hold).captured_amount, (r.hold).expires_at, (r.hold).created_at,
  (r.hold).reference, (r.hold).description, (r.hold).actor, (r.hold).request_id,
  (r.hold).transaction_id`;

const PLACE_HOLD = new SqlFunction<
  {
    userId: number;
    amount: number;
    expiresInSeconds: number;
  } & Annotation &
    Caller,
  PlaceHoldRow
>(
  'ledger_place_hold',
  {
    userId: 'p_user_id',
    amount: 'p_amount',
    expiresInSeconds: 'p_expires_in_seconds',
    reference: 'p_reference',
    description: 'p_description',
    actor: 'p_actor',
    requestId: 'p_request_id',
  },
  HOLD_OPERATION,
);

const CAPTURE_HOLD = new SqlFunction<
  { holdId: number; amount: number | null } & Annotation & Caller,
  SettleHoldRow | { outcome: 'capture_exceeds_hold'; amount: number }
>(
  'ledger_capture_hold',
  {
    holdId: 'p_hold_id',
    amount: 'p_amount',
    reference: 'p_reference',
    description: 'p_description',
    actor: 'p_actor',
    requestId: 'p_request_id',
  },
  HOLD_OPERATION,
);

const VOID_HOLD = new SqlFunction<{ holdId: number }, SettleHoldRow>(
  'ledger_void_hold',
  { holdId: 'p_hold_id' },
  HOLD_OPERATION,
);

/** A hold's columns with its status as of now. */
const HOLD_NOW: FindAttributeOptions = {
  exclude: ['status'],
  include: [[literal(HOLD_STATUS_NOW), 'status']],
};

/**
 * Holds. Placing, capturing and voiding are one call each of their function in db/functions, in
 * a managed Sequelize transaction: the user's row is locked first with `SELECT … FOR UPDATE`
 * (`ledger_lock_users`), then the hold's, and expiry is judged under those locks. Reads go
 * through the model, with the status as of now.
 */
@Injectable()
export class HoldsRepository {
  constructor(
    private readonly sequelize: Sequelize,
    @InjectModel(Hold) private readonly holds: typeof Hold,
    private readonly users: UsersRepository,
    private readonly events: EventsListener,
  ) {}

  /** Sets `amount` of what the user has available aside for `expiresInSeconds`. */
  async place(
    userId: number,
    amount: number,
    expiresInSeconds: number,
    annotation: Annotation,
    caller: Caller,
    transaction?: Transaction,
  ): Promise<HoldChange> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await PLACE_HOLD.call(t, {
          userId,
          amount,
          expiresInSeconds,
          ...annotation,
          ...caller,
        }),
      ),
    );
    switch (row.outcome) {
      case 'applied':
        return changed(row);
      case 'user_not_found':
        throw new UserNotFoundError(userId);
      case 'insufficient_funds':
        throw new InsufficientFundsError(userId, row.balance, row.held, amount);
    }
  }

  /**
   * Takes `amount` (all when undefined) of an active hold from the balance; releases the rest.
   * The capture's balance transaction records `caller`; the hold keeps who placed it.
   */
  async capture(
    holdId: number,
    amount: number | undefined,
    annotation: Annotation,
    caller: Caller,
    transaction?: Transaction,
  ): Promise<HoldChange> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await CAPTURE_HOLD.call(t, {
          holdId,
          amount: amount ?? null,
          ...annotation,
          ...caller,
        }),
      ),
    );
    if (row.outcome === 'capture_exceeds_hold') {
      throw new CaptureExceedsHoldError(
        holdId,
        row.amount,
        amount ?? row.amount,
      );
    }
    return settled(holdId, row);
  }

  /** Releases an active hold whole. */
  async void(holdId: number, transaction?: Transaction): Promise<HoldChange> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(t, await VOID_HOLD.call(t, { holdId })),
    );
    return settled(holdId, row);
  }

  async findOne(holdId: number): Promise<HoldAttributes> {
    const hold = await this.holds.findByPk(holdId, { attributes: HOLD_NOW });
    if (!hold) {
      throw new HoldNotFoundError(holdId);
    }
    return hold.get({ plain: true });
  }

  /** A page of a user's holds, newest first, only those with `status` now if given. */
  async list(
    userId: number,
    { limit, cursor, status }: PageRequest & { status?: HoldStatus },
  ): Promise<Page<HoldAttributes>> {
    return keysetPage(limit, cursor, async (count, before) => {
      const where: WhereOptions<HoldAttributes> = {
        userId,
        ...(before === undefined ? {} : { id: { [Op.lt]: before } }),
        ...(status === undefined
          ? {}
          : { [Op.and]: [whereSql(literal(HOLD_STATUS_NOW), status)] }),
      };
      const rows = await this.holds.findAll({
        attributes: HOLD_NOW,
        where,
        order: [['id', 'DESC']],
        limit: count,
      });
      if (rows.length === 0) {
        await this.users.expectUser(userId);
      }
      return rows.map((row) => row.get({ plain: true }));
    });
  }
}

/** A capture's or a void's result, or its refusal. */
function settled(holdId: number, row: SettleHoldRow): HoldChange {
  switch (row.outcome) {
    case 'applied':
      return changed(row);
    case 'hold_not_found':
      throw new HoldNotFoundError(holdId);
    case 'hold_not_active':
      throw new HoldNotActiveError(holdId, row.status);
  }
}

function changed(row: AppliedRow): HoldChange {
  return {
    hold: {
      id: row.id,
      userId: row.user_id,
      amount: row.amount,
      status: row.status,
      capturedAmount: row.captured_amount,
      expiresAt: row.expires_at,
      createdAt: row.created_at,
      reference: row.reference,
      description: row.description,
      actor: row.actor,
      requestId: row.request_id,
      transactionId: row.transaction_id,
    },
    balance: row.balance,
    available: available(row.balance, row.held),
  };
}

// The refusals of holds, thrown above.

export class HoldNotFoundError extends domainError({
  code: 'HOLD_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  outcome: 'not_found',
  example: { message: 'Hold 7 does not exist' },
}) {
  constructor(holdId: number) {
    super(`Hold ${holdId} does not exist`);
  }
}

export class HoldNotActiveError extends domainError({
  code: 'HOLD_NOT_ACTIVE',
  status: HttpStatus.CONFLICT,
  outcome: 'not_active',
  example: {
    message: 'Hold 7 is captured, no longer active',
    status: 'captured',
  },
}) {
  constructor(holdId: number, status: HoldStatus) {
    super(`Hold ${holdId} is ${status}, no longer active`);
    this.details.status = status;
  }
}

export class CaptureExceedsHoldError extends domainError({
  code: 'CAPTURE_EXCEEDS_HOLD',
  status: HttpStatus.UNPROCESSABLE_ENTITY,
  outcome: 'exceeds_hold',
  example: { message: 'Hold 7 holds 200; a capture of 250 exceeds it' },
}) {
  constructor(holdId: number, held: number, capture: number) {
    super(`Hold ${holdId} holds ${held}; a capture of ${capture} exceeds it`);
  }
}

/** What `POST /users/:id/holds` may be refused with. */
export const PLACE_HOLD_REFUSALS = [UserNotFoundError, InsufficientFundsError];

/** What `POST /holds/:id/void` may be refused with. */
export const VOID_HOLD_REFUSALS = [HoldNotFoundError, HoldNotActiveError];

/** What `POST /holds/:id/capture` may be refused with. */
export const CAPTURE_HOLD_REFUSALS = [
  ...VOID_HOLD_REFUSALS,
  CaptureExceedsHoldError,
];
