import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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

/** An actor: a key's name in API_KEYS, `key-` and 8 hex digits, or `anonymous`. */
export const ACTOR = /^[A-Za-z0-9._-]{1,64}$/;

export const ACTOR_MESSAGE =
  'actor must be 1 to 64 letters, digits, dots, underscores or hyphens';

export const ACTOR_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9._-]{1,64}$',
  example: 'checkout',
} as const;

/** Who made what a response shows, as recorded with it. */
export interface Attribution {
  actor: string | null;
  requestId: string | null;
}

/** A response's reference and description, and who made it. */
export class AttributedResponse extends AnnotatedResponse {
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'checkout',
    description:
      'The name of the API key that made it (`anonymous` without API keys); null if made before this was recorded',
  })
  actor!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: '6f1c2a9e-8d1b-4c55-9a43-0f7d2b1e5c3a',
    description:
      'The X-Request-Id of the request that made it; null if made before this was recorded or not by a request (the seed)',
  })
  requestId!: string | null;

  static attribution({ actor, requestId }: Attribution): Attribution {
    return { actor, requestId };
  }
}
