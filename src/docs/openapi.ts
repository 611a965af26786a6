import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type ExampleObject,
  type OpenAPIObject,
  type ResponseObject,
  type SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { HTTP_REFUSALS } from '../common/common.errors';
import { ErrorBodySchema } from './api-error-responses.decorator';

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
    // Tags are named where routes are (UsersController tags each route: it serves two resources).
    autoTagControllers: false,
  });
  const errorBody = document.components?.schemas?.[
    ErrorBodySchema.name
  ] as SchemaObject;
  (errorBody.properties?.code as SchemaObject).enum = errorCodes(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/**
 * Every code the service answers with: those its routes document (each route's
 * `@ApiErrorResponses`), and those of HTTP itself, which no route reaches.
 */
function errorCodes(document: OpenAPIObject): string[] {
  const codes = new Set(HTTP_REFUSALS.map(({ spec }) => spec.code));
  const operations = Object.values(document.paths).flatMap((path) =>
    [path.get, path.post, path.put, path.patch, path.delete].filter(
      (operation) => operation !== undefined,
    ),
  );
  for (const { responses } of operations) {
    for (const response of Object.values(responses) as ResponseObject[]) {
      const examples = response.content?.['application/json']?.examples ?? {};
      for (const example of Object.values(examples) as ExampleObject[]) {
        codes.add((example.value as ErrorBodySchema).code);
      }
    }
  }
  return [...codes].sort();
}
