import { ValidationFailedException } from '../common/validation';
import { documentPath, effectiveKeys, parseBody, underPath, validateDocument } from './config-document';

function fieldErrors(work: () => unknown) {
  try {
    work();
  } catch (error) {
    if (error instanceof ValidationFailedException) return error.fieldErrors;
    throw error;
  }
  throw new Error('expected a ValidationFailedException');
}

describe('config documents', () => {
  it('writes paths the way a reader of the document does', () => {
    expect(documentPath('', 'webhooks')).toBe('webhooks');
    expect(documentPath('webhooks', '0')).toBe('webhooks[0]');
    expect(documentPath('webhooks[0].targets[1]', 'http')).toBe('webhooks[0].targets[1].http');
    expect(
      underPath('webhooks[0].targets[1]', { field: 'http.url', message: 'http.url is required' }),
    ).toEqual({
      field: 'webhooks[0].targets[1].http.url',
      message: 'webhooks[0].targets[1].http.url is required',
    });
  });

  it('derives stable, unique keys from names and keeps the keys given', () => {
    const items = [
      { key: null, name: 'Stripe payments' },
      { key: 'stripe-payments-2', name: 'taken' },
      { key: null, name: 'Stripe  Payments!' },
      { key: null, name: '***' },
      { key: null, name: 'Éclair' },
    ];
    expect(
      effectiveKeys(
        items,
        (item) => item.key,
        (item) => item.name,
        'webhook',
      ),
    ).toEqual(['stripe-payments', 'stripe-payments-2', 'stripe-payments-3', 'webhook', 'eclair']);
  });

  it('parses YAML text and passes parsed JSON through', () => {
    expect(parseBody('webhooks:\n  - key: a\n    name: A\n')).toEqual({
      webhooks: [{ key: 'a', name: 'A' }],
    });
    const json = { webhooks: [] };
    expect(parseBody(json)).toBe(json);
    expect(fieldErrors(() => parseBody('webhooks: [')).map((error) => error.field)).toEqual(['document']);
  });

  it('names each field at fault by its path, placeholders and duplicate keys included', () => {
    expect(fieldErrors(() => validateDocument([]))).toEqual([
      { field: 'document', message: 'document must be an object with a webhooks list' },
    ]);
    expect(
      fieldErrors(() =>
        validateDocument({
          webhooks: [{ key: 'a', name: 'A', entrypoints: [{ key: 'e' }, { key: 'e' }] }],
        }),
      ),
    ).toEqual([
      {
        field: 'webhooks[0].entrypoints[1].key',
        message: 'webhooks[0].entrypoints[1].key "e" is used by another entrypoint of this webhook',
      },
    ]);
    expect(
      fieldErrors(() =>
        validateDocument({
          webhooks: [{ key: '-a', name: '', targets: [{ key: 't', name: 'T', type: 'ftp' }] }],
        }),
      ).map((error) => error.field),
    ).toEqual(['webhooks[0].key', 'webhooks[0].name', 'webhooks[0].targets[0].type']);
    expect(
      fieldErrors(() =>
        validateDocument({ webhooks: [{ key: 'a', name: 'A', description: 'token ${TOKEN}' }] }),
      ),
    ).toEqual([
      {
        field: 'webhooks[0].description',
        message:
          'webhooks[0].description holds the unresolved placeholder ${TOKEN}: the CLI resolves placeholders from its environment',
      },
    ]);
    const reserved = JSON.parse(
      '{"webhooks": [{"key": "a", "name": "A", "targets": [{"key": "t", "name": "T", "type": "log", "filter": {"body": {"constructor": {}}}}]}]}',
    );
    expect(fieldErrors(() => validateDocument(reserved))).toEqual([
      {
        field: 'webhooks[0].targets[0].filter.body.constructor',
        message:
          'webhooks[0].targets[0].filter.body.constructor: "__proto__" and "constructor" are not accepted as names',
      },
    ]);
  });
});
