import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { OWN_LIMITS_EXTENSION, PUBLIC_EXTENSION } from '../auth/auth.decorators';
import { SESSION_COOKIE } from '../auth/session.middleware';
import { addAlertWebhooks } from '../alerts/alerts-openapi';
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

const PROBLEM = {
  'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } },
};

/**
 * Every operation answers errors in the one problem shape: 400 when it takes input, 401 and 429
 * (too many of the user's requests at once, unless its limits are its own) when it needs
 * authentication, 404 when it names a resource, and any other error as `default`. Public
 * operations (marked by @Public) need no security.
 */
function addProblemResponses(document: OpenAPIObject): void {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as (OperationObject & Record<string, unknown>)[]) {
      if (typeof operation !== 'object' || !operation?.responses) continue;
      if (operation[PUBLIC_EXTENSION]) {
        delete operation[PUBLIC_EXTENSION];
        operation.security = [];
      }
      const ownLimits = Boolean(operation[OWN_LIMITS_EXTENSION]);
      delete operation[OWN_LIMITS_EXTENSION];
      const parameters = (operation.parameters ?? []) as ParameterObject[];
      const add = (status: string, description: string) =>
        (operation.responses[status] ??= { description, content: PROBLEM });
      if (parameters.length > 0 || operation.requestBody)
        add('400', 'The input is not valid; `errors` names each field');
      if (!operation.security || operation.security.length > 0) {
        add('401', 'No valid session or API key');
        if (!ownLimits)
          add(
            '429',
            "Too many of this user's requests at once (API_REQUESTS_PER_USER, API_QUEUED_PER_USER); retry after Retry-After",
          );
      }
      if (parameters.some((parameter) => parameter.in === 'path')) add('404', 'Not found (or not yours)');
      add('default', 'An error, as application/problem+json');
    }
  }
}

/**
 * `allOf` with one schema (what a described enum property becomes) is that schema, except beside
 * `nullable`: OpenAPI 3.0 cannot say "this object or null" of a bare `$ref`, so that one stays.
 */
function inlineSingleAllOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inlineSingleAllOf);
  if (!value || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.allOf) && record.allOf.length === 1 && record.nullable !== true)
    return inlineSingleAllOf(record.allOf[0]);
  return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, inlineSingleAllOf(child)]));
}

/**
 * A kept `allOf` beside `nullable` gets the `type` of the schema it refers to (an enum's `string`):
 * OpenAPI 3.0 reads `nullable` only beside a `type`.
 */
function typeNullableRefs(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, { type?: string }>;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const ref = Array.isArray(record.allOf) && (record.allOf[0] as { $ref?: string } | undefined)?.$ref;
    if (record.nullable === true && !record.type && typeof ref === 'string') {
      const type = schemas[ref.replace('#/components/schemas/', '')]?.type;
      if (type) record.type = type;
    }
    Object.values(record).forEach(visit);
  };
  visit(document);
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
    .addServer('/', 'This webhooker')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
    extraModels: [ProblemDetailsDto],
  });
  addIngestPath(document);
  addAlertWebhooks(document);
  addProblemResponses(document);
  const inlined = inlineSingleAllOf(document) as OpenAPIObject;
  typeNullableRefs(inlined);
  return sortKeys(inlined) as OpenAPIObject;
}

/** Serves the document at /api/openapi.json and the interactive docs at /api/docs. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
    customSiteTitle: 'webhooker API',
  });
}
