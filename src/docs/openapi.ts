import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

import {
  catalogueCodes,
  ErrorBodySchema,
} from './api-error-responses.decorator';

/** `/docs` (Swagger UI) and `/docs-json`, generated from the controllers and DTOs. */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Balance service')
    .setDescription(
      'Credits and debits user balances exactly. Money is an integer number of minor units. ' +
        'Every error has the shape of ErrorBodySchema, with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'One of API_KEYS, when the service is configured with them',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorBodySchema],
  });
  const errorBody = document.components?.schemas?.[
    ErrorBodySchema.name
  ] as SchemaObject;
  (errorBody.properties?.code as SchemaObject).enum = catalogueCodes();
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
