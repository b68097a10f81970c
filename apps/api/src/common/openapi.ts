import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SESSION_COOKIE } from '../auth/session.middleware';
import { addIngestPath } from '../ingest/ingest-openapi';
import { ProblemDetailsDto } from './problem-details';
import { APP_VERSION } from '../version';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Every operation may answer with the one error shape. */
function addProblemResponses(document: OpenAPIObject): void {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      if (typeof operation !== 'object' || !operation || !('responses' in operation)) continue;
      operation.responses.default ??= {
        description: 'An error, as application/problem+json',
        content: {
          'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } },
        },
      };
    }
  }
}

/** The OpenAPI document, with keys sorted so it is byte-for-byte stable. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('webhooker')
    .setDescription(
      'Self-hosted webhook gateway. Authenticate with an API key (`Authorization: Bearer whk_…`, ' +
        'created under API keys in the dashboard or with POST /api/v1/api-keys) or with the dashboard ' +
        'session cookie plus the `X-CSRF-Token` header on changes. Errors are `application/problem+json`.',
    )
    .setVersion(APP_VERSION)
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: whk_…' }, 'apiKey')
    .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE }, 'session')
    .addSecurityRequirements('apiKey')
    .addSecurityRequirements('session')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
    extraModels: [ProblemDetailsDto],
  });
  addProblemResponses(document);
  addIngestPath(document);
  return sortKeys(document) as OpenAPIObject;
}

/** Serves the document at /api/openapi.json and the interactive docs at /api/docs. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
    customSiteTitle: 'webhooker API',
  });
}
