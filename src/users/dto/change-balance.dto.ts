import { IsInt, Max, Min, NotEquals } from 'class-validator';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class ChangeBalanceDto {
  /** Minor units: positive credits, negative debits. */
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  @NotEquals(0)
  @IsInt()
  amount!: number;
}
