import type {
  DeliveryStatus,
  EntrypointDto,
  ListAllEventsData,
  TargetDto,
  WebhookDto,
} from '@webhooker/api-client';
import { useEffect, useId, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Button } from '../../components/Button';
import { DELIVERY_STATUSES } from '../../components/DeliveryStatusBadge';
import { SelectField, TextField } from '../../components/Field';
import { formatClock } from '../../lib/format';
import { PAGE_SIZE } from '../../lib/queries';

/** The API's bounds of a search. */
const SEARCH_MIN = 3;
const SEARCH_MAX = 200;
const SEARCH_DELAY_MS = 300;

/** A datetime-local value (local time, as typed) to the ISO 8601 instant the API takes. */
function toInstant(local: string | null): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The search and filters of an event list, kept in the page's URL (so a search can be linked). */
export function useEventFilters() {
  const [params, setParams] = useSearchParams();
  const value = (name: string) => params.get(name) ?? '';
  const query: NonNullable<ListAllEventsData['query']> = { limit: PAGE_SIZE };
  if (value('q')) query.q = value('q');
  if (value('status')) query.status = value('status') as DeliveryStatus;
  if (value('entrypoint')) query.entrypointId = value('entrypoint');
  if (value('target')) query.targetId = value('target');
  if (value('webhook')) query.webhookId = value('webhook');
  if (toInstant(value('since'))) query.since = toInstant(value('since'));
  if (toInstant(value('until'))) query.until = toInstant(value('until'));
  const { limit: _limit, ...applied } = query;
  return {
    value,
    query,
    filtered: Object.keys(applied).length > 0,
    /** How many filters (besides the search) are applied. */
    filterCount: Object.keys(applied).filter((name) => name !== 'q').length,
    /** Changes whenever the search or a filter does (an event list takes it as its key). */
    key: JSON.stringify(applied),
    set(name: string, next: string) {
      const changed = new URLSearchParams(params);
      if (next) changed.set(name, next);
      else changed.delete(name);
      // Another webhook has other entrypoints and targets.
      if (name === 'webhook') ['entrypoint', 'target'].forEach((other) => changed.delete(other));
      setParams(changed, { replace: true });
    },
    clear() {
      setParams({}, { replace: true });
    },
  };
}

export type EventFilterState = ReturnType<typeof useEventFilters>;

/** The search box: it searches as one types (after a pause), once the text is long enough. */
function SearchField({ value, onSearch }: { value: string; onSearch: (text: string) => void }) {
  const [text, setText] = useState(value);
  // What this box last put in the URL: a different URL value comes from elsewhere (Clear filters).
  const sent = useRef(value);
  const latest = useRef(onSearch);
  useEffect(() => {
    latest.current = onSearch;
  });
  useEffect(() => {
    if (value === sent.current) return;
    sent.current = value;
    setText(value);
  }, [value]);
  const trimmed = text.trim();
  const tooShort = trimmed.length > 0 && trimmed.length < SEARCH_MIN;
  useEffect(() => {
    if (trimmed === sent.current || tooShort) return;
    const timer = setTimeout(() => {
      sent.current = trimmed;
      latest.current(trimmed);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [trimmed, tooShort]);
  return (
    <TextField
      label="Search"
      type="search"
      value={text}
      maxLength={SEARCH_MAX}
      placeholder="Event id, header value or body text"
      hint={
        tooShort
          ? `Type at least ${SEARCH_MIN} characters.`
          : 'An event id, or text in a header value or the first 4 KiB of the body.'
      }
      onChange={(event) => setText(event.target.value)}
    />
  );
}

interface EventFiltersProps {
  filters: EventFilterState;
  /** The webhooks to choose from (the view across webhooks); none: one webhook's log. */
  webhooks?: WebhookDto[];
  entrypoints: EntrypointDto[];
  targets: TargetDto[];
  /** When the list was last refreshed (0: not yet). */
  updatedAt: number;
}

/** Search, delivery status, webhook, entrypoint, target and time range of an event list. */
export function EventFilters({ filters, webhooks, entrypoints, targets, updatedAt }: EventFiltersProps) {
  const { value, set } = filters;
  // On a phone the filters fold away under the search (open when one is applied).
  const [unfolded, setUnfolded] = useState(filters.filterCount > 0);
  const foldId = useId();
  return (
    <form
      aria-label="Search and filters"
      onSubmit={(event) => event.preventDefault()}
      className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4"
    >
      <div className="sm:col-span-2">
        <SearchField value={value('q')} onSearch={(text) => set('q', text)} />
      </div>
      <Button
        className="sm:hidden"
        aria-expanded={unfolded}
        aria-controls={foldId}
        onClick={() => setUnfolded(!unfolded)}
      >
        {unfolded ? 'Hide filters' : 'Filters'}
        {filters.filterCount > 0 && ` (${filters.filterCount})`}
      </Button>
      <div id={foldId} className={`contents ${unfolded ? '' : 'max-sm:hidden'}`}>
        <SelectField
          label="Delivery status"
          value={value('status')}
          onChange={(event) => set('status', event.target.value)}
        >
          <option value="">Any</option>
          {DELIVERY_STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </SelectField>
        {webhooks && (
          <SelectField
            label="Webhook"
            value={value('webhook')}
            onChange={(event) => set('webhook', event.target.value)}
          >
            <option value="">All webhooks</option>
            {webhooks.map((webhook) => (
              <option key={webhook.id} value={webhook.id}>
                {webhook.name}
              </option>
            ))}
          </SelectField>
        )}
        {entrypoints.length > 1 && (
          <SelectField
            label="Entrypoint"
            value={value('entrypoint')}
            onChange={(event) => set('entrypoint', event.target.value)}
          >
            <option value="">Any</option>
            {entrypoints.map((entrypoint) => (
              <option key={entrypoint.id} value={entrypoint.id}>
                {entrypoint.description || `/webhook/${entrypoint.id.slice(0, 8)}…`}
              </option>
            ))}
          </SelectField>
        )}
        {targets.length > 0 && (
          <SelectField
            label="Target"
            value={value('target')}
            onChange={(event) => set('target', event.target.value)}
          >
            <option value="">Any</option>
            {targets.map((target) => (
              <option key={target.id} value={target.id}>
                {target.name}
              </option>
            ))}
          </SelectField>
        )}
        <TextField
          label="Received from"
          type="datetime-local"
          value={value('since')}
          onChange={(event) => set('since', event.target.value)}
        />
        <TextField
          label="Received before"
          type="datetime-local"
          value={value('until')}
          onChange={(event) => set('until', event.target.value)}
        />
      </div>
      <div className="flex flex-wrap items-center gap-3 sm:col-span-2 lg:col-span-4">
        {filters.filtered && (
          <Button variant="ghost" onClick={filters.clear}>
            Clear filters
          </Button>
        )}
        <p className="ml-auto flex items-center gap-2 text-xs text-slate-500" aria-live="off">
          <span className="relative flex size-2">
            <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-60" />
            <span className="relative inline-flex size-2 rounded-full bg-emerald-500" />
          </span>
          Live{updatedAt > 0 && ` · updated ${formatClock(updatedAt)}`}
        </p>
      </div>
    </form>
  );
}
