import {
  createTargetMutation,
  updateTargetMutation,
  type CreatedTargetDto,
  type HttpMethod,
  type HttpTargetSettingsDto,
  type TargetDto,
  type TargetType,
} from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field, SelectField, TextField } from '../../components/Field';
import { SecretValue } from '../../components/SecretValue';
import { fieldError, formError, problemOf } from '../../lib/problem';
import { invalidateTargets } from '../../lib/queries';
import { parseFilter, transformOf } from './routing/routing';
import { SigningSecretHelp } from './SigningSecretHelp';

const TYPES: { value: TargetType; label: string }[] = [
  { value: 'http', label: 'http: send each event to a URL' },
  { value: 'log', label: 'log: write each event to the server log' },
  { value: 'database', label: 'database: archive each event in PostgreSQL' },
];
const METHODS: HttpMethod[] = ['POST', 'PUT', 'PATCH'];
/** The routing editors are a chunk of their own, loaded when the section is opened. */
const RoutingSection = lazy(() => import('./routing/RoutingSection'));

/** The http settings that have defaults, as typed in the form: empty means the default. */
const NUMBER_SETTINGS = [
  { key: 'timeoutMs', label: 'Timeout (ms)', placeholder: '15000', hint: 'Per attempt, 1 000–120 000.' },
  { key: 'maxRetries', label: 'Max retries', placeholder: '24', hint: '0–50; 0 is fire-and-forget.' },
  {
    key: 'maxBackoffMs',
    label: 'Max backoff (ms)',
    placeholder: '3600000',
    hint: 'Longest wait between retries.',
  },
  { key: 'concurrency', label: 'Concurrency', placeholder: '8', hint: 'Attempts in flight, 1–256.' },
] as const;
type NumberSetting = (typeof NUMBER_SETTINGS)[number]['key'];

interface TargetFormDialogProps {
  webhookId: string;
  /** The target to edit; without it, the dialog creates one. */
  target?: TargetDto;
  onClose: () => void;
}

/** "Name: value" lines to a header map; a line without a colon is an error. */
function parseHeaders(text: string): Record<string, string> | string {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon < 1) return `“${line.trim()}” is not a “Name: value” line`;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function formatHeaders(headers: Record<string, string> = {}): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

/** Adds a target (showing an http target's signing secret once), or edits one. */
export function TargetFormDialog({ webhookId, target, onClose }: TargetFormDialogProps) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(target?.name ?? '');
  const [type, setType] = useState<TargetType>(target?.type ?? 'http');
  const [url, setUrl] = useState(target?.http?.url ?? '');
  const [method, setMethod] = useState<HttpMethod>(target?.http?.method ?? 'POST');
  const [headers, setHeaders] = useState(formatHeaders(target?.http?.headers));
  const [numbers, setNumbers] = useState<Record<NumberSetting, string>>(() => ({
    timeoutMs: String(target?.http?.timeoutMs ?? ''),
    maxRetries: String(target?.http?.maxRetries ?? ''),
    maxBackoffMs: String(target?.http?.maxBackoffMs ?? ''),
    concurrency: String(target?.http?.concurrency ?? ''),
  }));
  const [perSecond, setPerSecond] = useState(String(target?.http?.rateLimit?.perSecond ?? ''));
  const [burst, setBurst] = useState(String(target?.http?.rateLimit?.burst ?? ''));
  const [headersError, setHeadersError] = useState<string>();
  const [advancedOpen, setAdvancedOpen] = useState(Boolean(target));
  const [filterText, setFilterText] = useState(target?.filter ? JSON.stringify(target.filter, null, 2) : '');
  const [transformText, setTransformText] = useState(target?.transform ?? '');
  const [routingOpen, setRoutingOpen] = useState(Boolean(target?.filter || target?.transform));

  const onSuccess = async (saved: TargetDto | CreatedTargetDto) => {
    await invalidateTargets(queryClient, webhookId, saved.id);
    if ('signingSecret' in saved && saved.signingSecret) return;
    toast.success(`Target “${saved.name}” ${target ? 'saved' : 'created'}`);
    onClose();
  };
  const create = useMutation({ ...createTargetMutation(), onSuccess });
  const update = useMutation({ ...updateTargetMutation(), onSuccess });
  const save = target ? update : create;
  const error = (field: string, label?: string) => fieldError(save.error, field, label);
  const advancedError =
    headersError ||
    problemOf(save.error)?.errors?.some(
      (entry) => entry.field.startsWith('http.') && entry.field !== 'http.url',
    );
  const routingError = problemOf(save.error)?.errors?.some((entry) =>
    /^(filter|transform)(\.|$)/.test(entry.field),
  );

  if (create.data?.signingSecret) {
    return (
      <Dialog
        key="created"
        size="wide"
        title="Target created"
        description={`Events now go to “${create.data.name}”, signed with this secret.`}
        onClose={onClose}
      >
        <div className="space-y-5">
          <SecretValue label="Signing secret" value={create.data.signingSecret} />
          <SigningSecretHelp />
        </div>
        <DialogActions>
          <Button variant="primary" data-autofocus onClick={onClose}>
            Done
          </Button>
        </DialogActions>
      </Dialog>
    );
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    let http: HttpTargetSettingsDto | undefined;
    if (type === 'http') {
      const parsed = parseHeaders(headers);
      setHeadersError(typeof parsed === 'string' ? parsed : undefined);
      if (typeof parsed === 'string') {
        setAdvancedOpen(true);
        return;
      }
      http = { url, method, headers: parsed };
      for (const { key } of NUMBER_SETTINGS) {
        if (numbers[key].trim() !== '') http[key] = Number(numbers[key]);
      }
      if (perSecond.trim() !== '') {
        http.rateLimit = { perSecond: Number(perSecond) };
        if (burst.trim() !== '') http.rateLimit.burst = Number(burst);
      } else if (target?.http?.rateLimit) {
        http.rateLimit = null;
      }
    }
    const parsedFilter = parseFilter(filterText);
    if ('error' in parsedFilter) {
      setRoutingOpen(true);
      return;
    }
    const body = {
      name,
      http,
      filter: parsedFilter.filter,
      ...(type === 'http' && { transform: transformOf(transformText) }),
    };
    if (target) update.mutate({ path: { id: target.id }, body });
    else create.mutate({ path: { webhookId }, body: { ...body, type } });
  };

  return (
    <Dialog key="form" size="wide" title={target ? `Edit ${target.name}` : 'Add target'} onClose={onClose}>
      <form onSubmit={submit} className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Name"
            hint="E.g. the service that receives the events."
            data-autofocus
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            error={error('name', 'The name')}
          />
          <SelectField
            label="Type"
            hint={target ? 'The type of a target cannot change.' : undefined}
            disabled={Boolean(target)}
            value={type}
            onChange={(event) => setType(event.target.value as TargetType)}
            error={error('type')}
          >
            {TYPES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </SelectField>
        </div>
        {type === 'http' && (
          <>
            <TextField
              label="URL"
              hint="Where each event is sent, http or https."
              type="url"
              required
              placeholder="https://example.com/webhooks"
              value={url}
              onChange={(event) => setUrl(event.target.value)}
              error={error('http.url', 'The URL') ?? error('http')}
            />
            <details
              open={advancedOpen || Boolean(advancedError)}
              onToggle={(event) => setAdvancedOpen(event.currentTarget.open)}
              className="group rounded-lg ring-1 ring-slate-200"
            >
              <summary className="cursor-pointer rounded-lg px-4 py-2.5 text-sm font-medium text-slate-700 select-none hover:bg-slate-50">
                Advanced settings
                <span className="ml-2 text-xs font-normal text-slate-500">
                  method, headers, timeout, retries, concurrency, rate limit
                </span>
              </summary>
              <div className="space-y-4 border-t border-slate-200 px-4 py-4">
                <div className="grid gap-4 sm:grid-cols-3">
                  <SelectField
                    label="Method"
                    value={method}
                    onChange={(event) => setMethod(event.target.value as HttpMethod)}
                    error={error('http.method', 'The method')}
                  >
                    {METHODS.map((value) => (
                      <option key={value}>{value}</option>
                    ))}
                  </SelectField>
                  {NUMBER_SETTINGS.map((setting) => (
                    <TextField
                      key={setting.key}
                      label={setting.label}
                      hint={setting.hint}
                      type="number"
                      inputMode="numeric"
                      step={1}
                      placeholder={setting.placeholder}
                      value={numbers[setting.key]}
                      onChange={(event) => setNumbers({ ...numbers, [setting.key]: event.target.value })}
                      error={error(`http.${setting.key}`, setting.label)}
                    />
                  ))}
                </div>
                <fieldset className="border-t border-slate-100 pt-4">
                  <legend className="float-left text-sm font-medium text-slate-700">Rate limit</legend>
                  <p className="clear-left pt-0.5 text-xs text-slate-500">
                    Optional, on top of concurrency, for every replica together: work over it waits without
                    spending retries. Empty: no limit.
                  </p>
                  <div className="mt-3 grid gap-4 sm:grid-cols-3">
                    <TextField
                      label="Deliveries per second"
                      hint="0.01–10 000; 0.5 is one every 2 s."
                      type="number"
                      inputMode="decimal"
                      min={0.01}
                      max={10_000}
                      step={0.001}
                      placeholder="No limit"
                      required={burst.trim() !== ''}
                      value={perSecond}
                      onChange={(event) => setPerSecond(event.target.value)}
                      error={
                        error('http.rateLimit.perSecond', 'Deliveries per second') ??
                        error('http.rateLimit', 'The rate limit')
                      }
                    />
                    <TextField
                      label="Burst"
                      hint="Sent at once after a quiet spell; default: the rate, rounded up."
                      type="number"
                      inputMode="numeric"
                      min={1}
                      max={10_000}
                      step={1}
                      disabled={perSecond.trim() === '' && burst.trim() === ''}
                      value={burst}
                      onChange={(event) => setBurst(event.target.value)}
                      error={error('http.rateLimit.burst', 'The burst')}
                    />
                  </div>
                </fieldset>
                <Field
                  label="Extra headers"
                  hint="One “Name: value” per line, sent with every request."
                  error={headersError ?? error('http.headers', 'Extra headers')}
                >
                  {(control) => (
                    <textarea
                      {...control}
                      rows={3}
                      spellCheck={false}
                      placeholder="x-api-token: s3cr3t"
                      value={headers}
                      onChange={(event) => {
                        setHeaders(event.target.value);
                        setHeadersError(undefined);
                      }}
                      className={`${control.className} font-mono`}
                    />
                  )}
                </Field>
              </div>
            </details>
          </>
        )}
        <details
          open={routingOpen || Boolean(routingError)}
          onToggle={(event) => setRoutingOpen(event.currentTarget.open)}
          className="rounded-lg ring-1 ring-slate-200"
        >
          <summary className="cursor-pointer rounded-lg px-4 py-2.5 text-sm font-medium text-slate-700 select-none hover:bg-slate-50">
            Routing
            <span className="ml-2 text-xs font-normal text-slate-500">
              {type === 'http' ? 'filter, transformation, try it' : 'filter, try it'}
            </span>
          </summary>
          {(routingOpen || routingError) && (
            <div className="border-t border-slate-200 px-4 py-4 max-sm:px-3">
              <Suspense fallback={<p className="text-sm text-slate-500">Loading the editors…</p>}>
                <RoutingSection
                  webhookId={webhookId}
                  targetId={target?.id}
                  transformable={type === 'http'}
                  filterText={filterText}
                  onFilterTextChange={setFilterText}
                  transformText={transformText}
                  onTransformTextChange={setTransformText}
                  saveError={save.error}
                />
              </Suspense>
            </div>
          )}
        </details>
        <ErrorAlert message={formError(save.error)} />
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={save.isPending}>
            {target ? (update.isPending ? 'Saving…' : 'Save') : create.isPending ? 'Adding…' : 'Add target'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
