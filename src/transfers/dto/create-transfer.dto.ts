import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { AnnotatedDto } from '../../common/annotation.dto';
import { MAX_ID } from '../../common/parse-id.pipe';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class CreateTransferDto extends AnnotatedDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_ID, example: 1 })
  @Min(1)
  @Max(MAX_ID)
  @IsInt()
  fromUserId!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_ID, example: 2 })
  @Min(1)
  @Max(MAX_ID)
  @IsInt()
  toUserId!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    example: 300,
    description: 'Minor units, positive',
  })
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  amount!: number;
}
