/** A filter in the Hookdeck/Convoy syntax: literal values match by example, `$` operators compare. */
export const FILTER_EXAMPLE = `{
  "headers": { "content-type": { "$startsWith": "application/json" } },
  "body": {
    "type": { "$in": ["invoice.paid", "invoice.payment_failed"] },
    "data": { "amount": { "$gte": 1000 } }
  }
}
`;

/** A transformation in the Svix/Hookdeck form: `handler(request)` returns what to send, or null to skip. */
export const TRANSFORM_EXAMPLE = `function handler(request) {
  // null skips this delivery: the event shows it as "skipped by transform".
  if (request.body.type === 'ping') return null;
  request.headers['x-event-type'] = request.body.type;
  request.body = { text: 'Invoice ' + request.body.data.id + ' is ' + request.body.type };
  return request;
}
`;

/** What the Try-it pane and a test send start from when the webhook has no event yet. */
export const SAMPLE_REQUEST = `{
  "method": "POST",
  "path": "/",
  "query": "",
  "headers": { "content-type": "application/json" },
  "body": {
    "type": "invoice.paid",
    "data": { "id": "in_1042", "amount": 4200 }
  }
}
`;
