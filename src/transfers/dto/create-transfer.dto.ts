import { IsInt, Max, Min } from 'class-validator';
import { MAX_ID } from '../../common/parse-id.pipe';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class CreateTransferDto {
  @Min(1)
  @Max(MAX_ID)
  @IsInt()
  fromUserId!: number;

  @Min(1)
  @Max(MAX_ID)
  @IsInt()
  toUserId!: number;

  /** Minor units, positive. */
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  amount!: number;
}
