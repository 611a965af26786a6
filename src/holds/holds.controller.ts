import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { EmptyBodyPipe } from '../common/empty-body.pipe';
import { annotationOf } from '../common/annotation.dto';
import { ValidationFailedError } from '../common/domain.error';
import { MAX_ID, ParseBigIdPipe, ParseIdPipe } from '../common/parse-id.pipe';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import {
  ApiCommonErrorResponses,
  BODY_REFUSALS,
} from '../docs/common-responses';
import { ApiIdParam } from '../docs/id-params';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import { holdOperation } from '../metrics/money-counter';
import { type Caller, RequestCaller } from '../security/caller.decorator';
import {
  IdempotencyService,
  type IdempotentRequest,
} from '../idempotency/idempotency.service';
import { UserNotFoundError } from '../users/users.repository';
import { CaptureHoldDto } from './dto/capture-hold.dto';
import { CreateHoldDto } from './dto/create-hold.dto';
import { HoldChangeResponse } from './dto/hold-change.response';
import { HoldPage, HoldResponse } from './hold.model';
import { ListHoldsQuery } from './dto/list-holds.query';
import {
  CAPTURE_HOLD_REFUSALS,
  HoldNotFoundError,
  HoldsRepository,
  PLACE_HOLD_REFUSALS,
  VOID_HOLD_REFUSALS,
} from './holds.repository';

/** Holds: money set aside now, captured or released later. */
@ApiTags('holds')
@ApiBearerAuth()
@ApiCommonErrorResponses()
@Controller()
export class HoldsController {
  constructor(
    private readonly holds: HoldsRepository,
    private readonly keys: IdempotencyService,
  ) {}

  @Post('users/:id/holds')
  @ApiOperation({
    summary:
      'Set money aside from what the user has available, until captured, voided or expired',
  })
  @ApiIdParam(1, MAX_ID)
  @Idempotent(HttpStatus.CREATED, holdOperation('place'))
  @ApiCreatedResponse({ type: HoldChangeResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...PLACE_HOLD_REFUSALS)
  async place(
    @Param('id', ParseIdPipe) userId: number,
    @Body() body: CreateHoldDto,
    @Idempotency() idempotency: IdempotentRequest,
    @RequestCaller() caller: Caller,
  ): Promise<HoldChangeResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      HoldChangeResponse.changed(
        await this.holds.place(
          userId,
          body.amount,
          body.expiresInSeconds,
          annotationOf(body),
          caller,
          transaction,
        ),
      ),
    );
  }

  @Get('users/:id/holds')
  @ApiOperation({
    summary:
      "A page of the user's holds, newest first (keyset cursor); only those with `status` if given",
  })
  @ApiIdParam(1, MAX_ID)
  @ApiOkResponse({ type: HoldPage })
  @ApiErrorResponses(ValidationFailedError, UserNotFoundError)
  async list(
    @Param('id', ParseIdPipe) userId: number,
    @Query() query: ListHoldsQuery,
  ): Promise<HoldPage> {
    const page = await this.holds.list(userId, query);
    return {
      items: page.items.map((hold) => HoldResponse.of(hold)),
      nextCursor: page.nextCursor,
    };
  }

  @Get('holds/:id')
  @ApiOperation({ summary: 'A hold, with its status now' })
  @ApiIdParam(7)
  @ApiOkResponse({ type: HoldResponse })
  @ApiErrorResponses(ValidationFailedError, HoldNotFoundError)
  async findOne(
    @Param('id', ParseBigIdPipe) id: number,
  ): Promise<HoldResponse> {
    return HoldResponse.of(await this.holds.findOne(id));
  }

  @Post('holds/:id/capture')
  @ApiOperation({
    summary:
      'Debit all or part of an active hold (a `capture` ledger entry) and release the rest',
  })
  @ApiIdParam(7)
  @Idempotent(HttpStatus.OK, holdOperation('capture'))
  @ApiOkResponse({ type: HoldChangeResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...CAPTURE_HOLD_REFUSALS)
  async capture(
    @Param('id', ParseBigIdPipe) id: number,
    @Body() body: CaptureHoldDto,
    @Idempotency() idempotency: IdempotentRequest,
    @RequestCaller() caller: Caller,
  ): Promise<HoldChangeResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      HoldChangeResponse.changed(
        await this.holds.capture(
          id,
          body.amount,
          annotationOf(body),
          caller,
          transaction,
        ),
      ),
    );
  }

  @Post('holds/:id/void')
  @ApiOperation({ summary: 'Release an active hold whole' })
  @ApiIdParam(7)
  @Idempotent(HttpStatus.OK, holdOperation('void'))
  @ApiOkResponse({ type: HoldChangeResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...VOID_HOLD_REFUSALS)
  async void(
    @Param('id', ParseBigIdPipe) id: number,
    @Body(EmptyBodyPipe) _body: undefined,
    @Idempotency() idempotency: IdempotentRequest,
  ): Promise<HoldChangeResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      HoldChangeResponse.changed(await this.holds.void(id, transaction)),
    );
  }
}
