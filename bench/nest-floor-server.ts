import 'reflect-metadata';
import {
  Body,
  Controller,
  HttpCode,
  HttpException,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Post,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { IsInt, NotEquals } from 'class-validator';
import { changeBalance, SCHEMA, sequelize } from './reference-design';

/**
 * The floor of the service's stack: the reference's UPDATE served by Nest on Express, a
 * `ValidationPipe` and a DTO, in a managed Sequelize transaction, and nothing else. What the
 * service costs above it is what it does; what this costs above the reference is the fixed stack.
 */

class ChangeBalanceDto {
  @IsInt()
  @NotEquals(0)
  amount!: number;
}

@Injectable()
class BalanceService {
  change(id: number, amount: number) {
    return sequelize.transaction(async (transaction) => {
      const [row] = await changeBalance(id, amount, transaction);
      if (row.balance !== null) {
        return { userId: id, balance: row.balance };
      }
      const [status, code] = row.found
        ? [409, 'INSUFFICIENT_FUNDS']
        : [404, 'USER_NOT_FOUND'];
      throw new HttpException({ statusCode: status, code }, status);
    });
  }
}

@Controller('users')
class UsersController {
  constructor(private readonly balances: BalanceService) {}

  @Post(':id/balance')
  @HttpCode(200)
  change(
    @Param('id', ParseIntPipe) id: number,
    @Body() body: ChangeBalanceDto,
  ) {
    return this.balances.change(id, body.amount);
  }
}

@Module({ controllers: [UsersController], providers: [BalanceService] })
class AppModule {}

void (async () => {
  await sequelize.query(SCHEMA);
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }),
  );
  await app.init();
  // The service's backlog: a burst of thousands of connects overflows Node's default of 511.
  (app.getHttpServer() as Server).listen({
    port: Number(process.env.PORT),
    backlog: 4096,
  });
})();
