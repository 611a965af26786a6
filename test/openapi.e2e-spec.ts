import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types';
import { bootAppOnTestDatabase } from './utils/app';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route the app serves, as `METHOD /path/{param}`, from Express's own router. */
function servedRoutes(app: INestApplication<App>): string[] {
  const express = app.getHttpAdapter().getInstance() as {
    router: { stack: RouteLayer[] };
  };
  return express.router.stack
    .flatMap(({ route }) =>
      route
        ? Object.keys(route.methods).map(
            (method) =>
              `${method.toUpperCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`,
          )
        : [],
    )
    .filter((route) => !/ \/docs/.test(route))
    .sort();
}

describe('OpenAPI', () => {
  const booted = bootAppOnTestDatabase();
  let document: OpenApiDocument;

  beforeAll(async () => {
    document = (
      await request(booted.app.getHttpServer()).get('/docs-json').expect(200)
    ).body as OpenApiDocument;
  });

  it('describes every route the app serves', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map(
          (method) => `${method.toUpperCase()} ${path}`,
        ),
      )
      .sort();
    const served = servedRoutes(booted.app);
    expect(served).toEqual(
      expect.arrayContaining(['POST /users/{id}/balance', 'GET /health']),
    );
    expect(documented).toEqual(served);
  });

  it('documents the balance route with the statuses and error codes of its contract, each code with an example', () => {
    const { responses } = document.paths['/users/{id}/balance'].post as {
      responses: Record<
        string,
        { content?: { 'application/json': { examples?: object } } }
      >;
    };
    expect(Object.keys(responses).sort()).toEqual(
      [
        '200',
        '400',
        '401',
        '404',
        '409',
        '413',
        '415',
        '422',
        '500',
        '503',
      ].sort(),
    );
    const codes = Object.values(responses).flatMap((response) =>
      Object.keys(response.content?.['application/json'].examples ?? {}),
    );
    expect(codes.sort()).toEqual(
      (
        [
          'VALIDATION_FAILED',
          'UNAUTHORIZED',
          'USER_NOT_FOUND',
          'INSUFFICIENT_FUNDS',
          'PAYLOAD_TOO_LARGE',
          'UNSUPPORTED_MEDIA_TYPE',
          'BALANCE_LIMIT_EXCEEDED',
          'IDEMPOTENCY_KEY_IN_USE',
          'IDEMPOTENCY_KEY_REUSED',
          'SERVICE_UNAVAILABLE',
          'OUTCOME_UNKNOWN',
          'INTERNAL_ERROR',
        ] satisfies string[]
      ).sort(),
    );
  });

  it.each([
    [
      'post',
      '/users/{id}/holds',
      '201',
      ['USER_NOT_FOUND', 'INSUFFICIENT_FUNDS'],
    ],
    [
      'post',
      '/holds/{id}/capture',
      '200',
      ['HOLD_NOT_FOUND', 'HOLD_NOT_ACTIVE', 'CAPTURE_EXCEEDS_HOLD'],
    ],
    ['post', '/holds/{id}/void', '200', ['HOLD_NOT_FOUND', 'HOLD_NOT_ACTIVE']],
    ['get', '/holds/{id}', '200', ['HOLD_NOT_FOUND']],
    ['get', '/users/{id}/holds', '200', ['USER_NOT_FOUND']],
  ])(
    'documents %s %s: its success, and its refusals with examples',
    (method, path, success, codes) => {
      const { responses } = document.paths[path][method] as {
        responses: Record<
          string,
          { content?: { 'application/json': { examples?: object } } }
        >;
      };
      expect(Object.keys(responses)).toContain(success);
      const documented = Object.values(responses).flatMap((response) =>
        Object.keys(response.content?.['application/json'].examples ?? {}),
      );
      expect(documented).toEqual(expect.arrayContaining(codes));
    },
  );

  it('documents references, descriptions, available and held', () => {
    const schemas = (
      document as unknown as {
        components: {
          schemas: Record<string, { properties: Record<string, unknown> }>;
        };
      }
    ).components.schemas;
    for (const name of [
      'ChangeBalanceDto',
      'CreateTransferDto',
      'CreateHoldDto',
      'CaptureHoldDto',
      'BalanceTransactionResponse',
      'TransferResponse',
      'HoldResponse',
    ]) {
      expect(Object.keys(schemas[name].properties)).toEqual(
        expect.arrayContaining(['reference', 'description']),
      );
    }
    expect(Object.keys(schemas.UserResponse.properties)).toEqual(
      expect.arrayContaining(['available', 'held']),
    );
    expect(Object.keys(schemas.HoldChangeResponse.properties)).toEqual(
      expect.arrayContaining(['balance', 'available', 'status', 'expiresAt']),
    );
  });

  it('serves the Swagger UI at /docs', async () => {
    const response = await request(booted.app.getHttpServer())
      .get('/docs')
      .expect(200);
    expect(response.text).toMatch(/swagger-ui/i);
  });
});
