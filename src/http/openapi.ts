import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/**
 * The OpenAPI document at /api/docs-json, shaped for generated clients (client/ at the repository
 * root is generated from it): every operation has a stable id, and every error status carries the
 * one error body the exception filter sends (http/error-response.filter.ts).
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, openApiConfig(), {
    // `Secrets_list`, `Rotation_rotate`: unique (one method name per controller), readable, and set
    // here once rather than on each route.
    operationIdFactory: (controllerKey: string, methodKey: string) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  return withErrorSchema(document);
}

export function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('Strongroom')
    .setDescription('Secrets management: encrypted, versioned, rotated and audited secrets')
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
}

const ERROR_SCHEMA = 'ErrorResponse';

/** Statuses any authenticated route can answer (validation, auth, overload, database down). */
const COMMON_ERRORS: Record<string, string> = {
  '400': 'Invalid input (the body names each field and its problems)',
  '401': 'No or invalid token',
  '403': 'Role not allowed',
  '429': 'Too many requests; see Retry-After',
  '503': 'Unavailable (database down, or the request deadline passed); see Retry-After',
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function withErrorSchema(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[ERROR_SCHEMA] = {
    type: 'object',
    description: 'Every 4xx/5xx body. Never carries a secret value.',
    required: ['statusCode', 'error', 'message', 'requestId'],
    properties: {
      statusCode: { type: 'integer', example: 404 },
      error: { type: 'string', example: 'Not Found' },
      message: { type: 'string', example: 'secret not found' },
      requestId: { type: 'string', example: 'req-4f1c2a' },
      code: { type: 'string', description: 'Domain error code, when the error is one of ours', example: 'secret_not_found' },
    },
    additionalProperties: true,
  };
  const content = { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA}` } } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const secured = path.startsWith('/api/');
      if (secured) {
        for (const [status, description] of Object.entries(COMMON_ERRORS)) operation.responses[status] ??= { description };
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || !/^[45]\d\d$/.test(status) || '$ref' in response) continue;
        response.content ??= content;
      }
    }
  }
  return document;
}
