import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/page.query';
import { HOLD_STATUSES, type HoldStatus } from '../hold.model';

export class ListHoldsQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: HOLD_STATUSES,
    description: 'Only the holds with this status now',
  })
  @IsOptional()
  @IsIn(HOLD_STATUSES)
  status?: HoldStatus;
}
