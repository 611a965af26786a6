import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import {
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
}
