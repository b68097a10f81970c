import { listEventsOptions, type TargetTrialDto } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '../../../components/Button';
import { SelectField } from '../../../components/Field';
import { formatBytes } from '../../../lib/format';
import { CodeField } from './CodeField';
import { SAMPLE_REQUEST } from './examples';
import { parseSample } from './routing';

/** How many of the webhook's latest events can be picked. */
const LATEST_EVENTS = 10;
/** The option that stands for the edited sample rather than an event id. */
const SAMPLE = 'sample';
const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/**
 * Which request to try a target with: one of the webhook's latest events or a sample request
 * edited as JSON.
 */
export function useRequestSource(webhookId: string) {
  const events = useQuery(listEventsOptions({ path: { webhookId }, query: { limit: LATEST_EVENTS } }));
  const [picked, setPicked] = useState<string>();
  const [sample, setSample] = useState(SAMPLE_REQUEST);
  // Unless another is picked: the newest event a sender sent (not a test event this dialog just sent).
  const source = picked ?? events.data?.items.find((event) => !event.test)?.id ?? SAMPLE;
  const parsedSample = source === SAMPLE ? parseSample(sample) : undefined;
  return {
    events: events.data?.items ?? [],
    eventsPending: events.isPending,
    source,
    setSource: setPicked,
    sample,
    setSample,
    sampleError: parsedSample && 'error' in parsedSample ? parsedSample.error : undefined,
    /** The request part of a preview or test body, or undefined while the sample is not valid JSON. */
    body: (): TargetTrialDto | undefined => {
      if (!parsedSample) return { eventId: source };
      return 'request' in parsedSample ? { request: parsedSample.request } : undefined;
    },
  };
}

export type RequestSourceState = ReturnType<typeof useRequestSource>;

/** The picker of a request source, and the sample's editor when the sample is picked. */
export function RequestSourceFields({ state }: { state: RequestSourceState }) {
  return (
    <div className="space-y-3">
      <SelectField
        label="Request"
        hint={
          state.events.length === 0 && !state.eventsPending
            ? 'The webhook has no event yet: try an edited sample.'
            : 'One of the webhook’s latest events, or a sample you edit.'
        }
        value={state.source}
        onChange={(event) => state.setSource(event.target.value)}
      >
        {state.events.map((event) => (
          <option key={event.id} value={event.id}>
            {`${when.format(new Date(event.receivedAt))} · ${event.method} ${formatBytes(event.size)} · ${event.id.slice(0, 8)}${event.test ? ' · test' : ''}`}
          </option>
        ))}
        <option value={SAMPLE}>An edited sample request</option>
      </SelectField>
      {state.source === SAMPLE && (
        <CodeField
          label="Sample request"
          hint="method, path, query, headers and body, as a transformation receives them."
          language="json"
          value={state.sample}
          onChange={state.setSample}
          error={state.sampleError}
          actions={
            <Button size="sm" variant="ghost" onClick={() => state.setSample(SAMPLE_REQUEST)}>
              Reset sample
            </Button>
          }
        />
      )}
    </div>
  );
}
