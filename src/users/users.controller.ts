import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { MAX_ID, ParseIdPipe } from '../common/parse-id.pipe';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import { ChangeBalanceDto } from './dto/change-balance.dto';
import { BalanceResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

const USER_ID = ApiParam({
  name: 'id',
  schema: { type: 'integer', minimum: 1, maximum: MAX_ID, example: 1 },
});

@ApiTags('users')
@ApiBearerAuth()
@ApiErrorResponses('UNAUTHORIZED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':id')
  @ApiOperation({ summary: 'A user and its balance' })
  @USER_ID
  @ApiOkResponse({ type: UserResponse })
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  findOne(@Param('id', ParseIdPipe) id: number): Promise<UserResponse> {
    return this.users.findOne(id);
  }

  @Post(':id/balance')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Credit (amount > 0) or debit (amount < 0) a balance',
  })
  @USER_ID
  @ApiOkResponse({ type: BalanceResponse })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'USER_NOT_FOUND',
    'INSUFFICIENT_FUNDS',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'BALANCE_LIMIT_EXCEEDED',
  )
  changeBalance(
    @Param('id', ParseIdPipe) id: number,
    @Body() { amount }: ChangeBalanceDto,
  ): Promise<BalanceResponse> {
    return this.users.changeBalance(id, amount);
  }
}
