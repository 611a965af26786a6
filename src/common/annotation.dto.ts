import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, ValidateIf } from 'class-validator';

/** 1 to 128 printable ASCII characters: the client's own id for what the money is for. */
export const REFERENCE = /^[\x20-\x7e]{1,128}$/;

/** Up to 500 characters of text; no control characters, no lone surrogates. */
const DESCRIPTION = /^[^\p{Cc}\p{Cs}]{0,500}$/u;

export const REFERENCE_MESSAGE =
  'reference must be 1 to 128 printable ASCII characters';

/** The docs of a reference, for bodies, responses and the query that filters by one. */
export const REFERENCE_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[\\x20-\\x7e]{1,128}$',
  example: 'order-1042',
} as const;

const DESCRIPTION_SCHEMA = {
  type: 'string',
  maxLength: 500,
  example: 'Order 1042: two tickets',
} as const;

// Optional, but not null: IsOptional would let null through. Checked bottom-up, the type first.
const optional = () => ValidateIf((_, value) => value !== undefined);

/**
 * What every request that moves or reserves money may say about it; stored with its ledger
 * entries (and the transfer or hold) and returned wherever they are.
 */
export class AnnotatedDto {
  @ApiPropertyOptional({
    ...REFERENCE_SCHEMA,
    description:
      'Your own id for what the money is for (an order number); `GET /users/{id}/transactions?reference=` finds its entries',
  })
  @optional()
  @Matches(REFERENCE, { message: REFERENCE_MESSAGE })
  @IsString()
  reference?: string;

  @ApiPropertyOptional({
    ...DESCRIPTION_SCHEMA,
    description: 'Free text, up to 500 characters, no control characters',
  })
  @optional()
  @Matches(DESCRIPTION, {
    message:
      'description must be at most 500 characters, with no control characters',
  })
  @IsString()
  description?: string;
}

/** A reference and description as stored: NULL when not given. */
export interface Annotation {
  reference: string | null;
  description: string | null;
}

export function annotationOf({
  reference,
  description,
}: AnnotatedDto): Annotation {
  return { reference: reference ?? null, description: description ?? null };
}

/** The reference and description of a response, when it has them. */
export class AnnotatedResponse {
  @ApiPropertyOptional(REFERENCE_SCHEMA)
  reference?: string;

  @ApiPropertyOptional(DESCRIPTION_SCHEMA)
  description?: string;

  static fields({ reference, description }: Annotation): AnnotatedResponse {
    return {
      ...(reference === null ? {} : { reference }),
      ...(description === null ? {} : { description }),
    };
  }
}
