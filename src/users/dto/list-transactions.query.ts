import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import {
  ACTOR,
  ACTOR_MESSAGE,
  ACTOR_SCHEMA,
  REFERENCE,
  REFERENCE_MESSAGE,
  REFERENCE_SCHEMA,
} from '../../common/annotation.dto';
import { PageQuery } from '../../common/page.query';

export class ListTransactionsQuery extends PageQuery {
  @ApiPropertyOptional({
    ...REFERENCE_SCHEMA,
    description: 'Only the entries with this reference',
  })
  @IsOptional()
  @Matches(REFERENCE, { message: REFERENCE_MESSAGE })
  reference?: string;

  @ApiPropertyOptional({
    ...ACTOR_SCHEMA,
    description: 'Only the entries made with the API key of this name',
  })
  @IsOptional()
  @Matches(ACTOR, { message: ACTOR_MESSAGE })
  actor?: string;
}
