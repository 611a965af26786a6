import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { ChangeBalanceDto } from './dto/change-balance.dto';
import { BalanceResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':id')
  findOne(@Param('id', ParseIdPipe) id: number): Promise<UserResponse> {
    return this.users.findOne(id);
  }

  @Post(':id/balance')
  @HttpCode(200)
  changeBalance(
    @Param('id', ParseIdPipe) id: number,
    @Body() { amount }: ChangeBalanceDto,
  ): Promise<BalanceResponse> {
    return this.users.changeBalance(id, amount);
  }
}
