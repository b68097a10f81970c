import {
  addVerificationSecretMutation,
  updateEntrypointMutation,
  type EntrypointDto,
  type HmacAlgorithm,
  type SignatureEncoding,
  type SignatureFormat,
  type VerificationPreset,
  type VerificationSettingsDtoWritable,
} from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Badge } from '../../components/Badge';
import { Button } from '../../components/Button';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { SelectField, TextField } from '../../components/Field';
import { RelativeTime } from '../../components/RelativeTime';
import { errorMessage, fieldError, formError, problemOf } from '../../lib/problem';
import { invalidateEntrypoints, verificationPresetsOptions } from '../../lib/queries';
import { DEFAULT_TOKEN_HEADER, describeScheme, TOKEN_QUERY_PARAMETER } from './verification';

type CustomMethod = 'token' | 'basic' | 'hmac';
/** What the form verifies with: a provider's preset, or a method set up by hand. */
type Choice = `preset:${VerificationPreset}` | `method:${CustomMethod}` | '';

const METHODS: { method: CustomMethod; label: string; hint: string }[] = [
  {
    method: 'token',
    label: 'Token in a header or ?token=',
    hint: 'For senders that send the same secret with every request.',
  },
  {
    method: 'basic',
    label: 'Basic auth (username and password)',
    hint: 'For senders that log in with HTTP Basic authentication.',
  },
  {
    method: 'hmac',
    label: 'HMAC signature (set up by hand)',
    hint: 'For senders that sign each request with a shared secret: set it up the way they compute it.',
  },
];
const ALGORITHMS: HmacAlgorithm[] = ['sha256', 'sha512', 'sha1'];
const ENCODINGS: SignatureEncoding[] = ['hex', 'base64'];
const FORMATS: { value: SignatureFormat; label: string }[] = [
  { value: 'plain', label: 'Prefix and one signature' },
  { value: 'stripe', label: 'Stripe: t=…,v1=…' },
  { value: 'standard-webhooks', label: 'Standard Webhooks: v1,… (whsec_ keys)' },
];
const DEFAULT_GRACE_HOURS = 24;
const DEFAULT_TOLERANCE_SECONDS = 300;

/** The form's values: text as typed; empty optional ones are left out of the request. */
interface Values {
  secret: string;
  tokenHeader: string;
  username: string;
  header: string;
  algorithm: HmacAlgorithm;
  encoding: SignatureEncoding;
  prefix: string;
  signatureFormat: SignatureFormat;
  signedContent: string;
  timestampHeader: string;
  idHeader: string;
  toleranceSeconds: string;
}

function initialValues({ verification: v }: EntrypointDto): Values {
  const hmac = v.method === 'hmac';
  return {
    secret: '',
    tokenHeader: v.method === 'token' ? (v.header ?? '') : '',
    username: v.username ?? '',
    header: hmac ? (v.header ?? '') : '',
    algorithm: v.algorithm ?? 'sha256',
    encoding: v.encoding ?? 'hex',
    prefix: hmac ? (v.prefix ?? '') : '',
    signatureFormat: v.signatureFormat ?? 'plain',
    signedContent: v.signedContent ?? '{body}',
    timestampHeader: v.timestampHeader ?? '',
    idHeader: v.idHeader ?? '',
    toleranceSeconds: v.toleranceSeconds != null ? String(v.toleranceSeconds) : '',
  };
}

function initialChoice({ verification: v }: EntrypointDto): Choice {
  if (v.preset) return `preset:${v.preset}`;
  return v.method === 'none' ? '' : `method:${v.method}`;
}

/** The settings as sent: the preset, or the method with its fields; the secret only when typed. */
function settings(choice: Exclude<Choice, ''>, values: Values): VerificationSettingsDtoWritable {
  const secret = values.secret === '' ? {} : { secret: values.secret };
  const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
  if (choice.startsWith('preset:')) {
    return { preset: choice.slice('preset:'.length) as VerificationPreset, ...secret };
  }
  const method = choice.slice('method:'.length) as CustomMethod;
  if (method === 'token') return { method, header: optional(values.tokenHeader), ...secret };
  if (method === 'basic') return { method, username: values.username, ...secret };
  const timestamped = values.timestampHeader.trim() !== '' || values.signatureFormat === 'stripe';
  return {
    method,
    header: values.header.trim(),
    algorithm: values.algorithm,
    encoding: values.encoding,
    prefix: values.prefix,
    signatureFormat: values.signatureFormat,
    signedContent: values.signedContent,
    timestampHeader: optional(values.timestampHeader),
    idHeader: optional(values.idHeader),
    toleranceSeconds:
      timestamped && values.toleranceSeconds.trim() !== '' ? Number(values.toleranceSeconds) : undefined,
    ...secret,
  };
}

interface VerificationDialogProps {
  entrypoint: EntrypointDto;
  onClose: () => void;
}

/**
 * How an entrypoint verifies its senders: a provider's preset or a method by hand, its secret
 * (write-only), rotation with a grace period, and turning verification off.
 */
export function VerificationDialog({ entrypoint, onClose }: VerificationDialogProps) {
  const [view, setView] = useState<'form' | 'rotate' | 'off'>('form');
  const [rotated, setRotated] = useState(false);

  if (view === 'rotate') {
    return (
      <RotateSecretDialog
        entrypoint={entrypoint}
        onDone={(done) => {
          setRotated(done);
          setView('form');
        }}
      />
    );
  }
  if (view === 'off') {
    return <TurnOffDialog entrypoint={entrypoint} onDone={onClose} onCancel={() => setView('form')} />;
  }
  return (
    <VerificationForm
      entrypoint={entrypoint}
      rotated={rotated}
      onRotate={() => setView('rotate')}
      onTurnOff={() => setView('off')}
      onClose={onClose}
    />
  );
}

interface VerificationFormProps extends VerificationDialogProps {
  rotated: boolean;
  onRotate: () => void;
  onTurnOff: () => void;
}

function VerificationForm({ entrypoint, rotated, onRotate, onTurnOff, onClose }: VerificationFormProps) {
  const queryClient = useQueryClient();
  const presets = useQuery(verificationPresetsOptions());
  const [choice, setChoice] = useState<Choice>(() => initialChoice(entrypoint));
  const [values, setValues] = useState(() => initialValues(entrypoint));
  const save = useMutation({
    ...updateEntrypointMutation(),
    onSuccess: async () => {
      toast.success('Verification saved');
      await invalidateEntrypoints(queryClient, entrypoint.webhookId);
      onClose();
    },
  });
  const { verification } = entrypoint;
  const verified = verification.method !== 'none';
  const preset = choice.startsWith('preset:')
    ? presets.data?.find((candidate) => `preset:${candidate.id}` === choice)
    : undefined;
  const method = preset ? preset.method : choice.startsWith('method:') ? choice.slice('method:'.length) : '';

  // Every server error is shown next to its field; the ones without a field on screen go above the buttons.
  const shown = new Set<string>();
  const error = (field: string, label: string) => {
    shown.add(`verification.${field}`);
    return fieldError(save.error, `verification.${field}`, label);
  };
  const set =
    <K extends keyof Values>(key: K) =>
    (event: { target: { value: string } }) =>
      setValues({ ...values, [key]: event.target.value as Values[K] });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (choice === '') return;
    save.mutate({ path: { id: entrypoint.id }, body: { verification: settings(choice, values) } });
  };

  const secretLabel = method === 'token' ? 'Token' : method === 'basic' ? 'Password' : 'Signing secret';
  const fields = (
    <>
      {method === 'token' && !preset && (
        <TextField
          label="Header"
          hint={`Senders put the token in this header, or in the URL as ?${TOKEN_QUERY_PARAMETER}=<token>.`}
          placeholder={DEFAULT_TOKEN_HEADER}
          maxLength={100}
          value={values.tokenHeader}
          onChange={set('tokenHeader')}
          error={error('header', 'The header')}
        />
      )}
      {method === 'basic' && (
        <TextField
          label="Username"
          hint="The sender logs in with it and the password below."
          required
          maxLength={200}
          autoComplete="off"
          value={values.username}
          onChange={set('username')}
          error={error('username', 'The username')}
        />
      )}
      {method === 'hmac' && !preset && <HmacFields values={values} set={set} error={error} />}
      {choice !== '' && (
        <TextField
          label={secretLabel}
          type="password"
          autoComplete="new-password"
          required={!verified}
          maxLength={1000}
          value={values.secret}
          onChange={set('secret')}
          error={error('secret', `The ${secretLabel.toLowerCase()}`)}
          hint={
            <>
              {preset && `${preset.secretDescription}; `}12 characters or more.{' '}
              {verified &&
                'Empty keeps the current one; a new one replaces it at once (to keep both working for a while, rotate instead).'}
            </>
          }
        />
      )}
    </>
  );
  const unshown = problemOf(save.error)
    ?.errors?.filter((entry) => !shown.has(entry.field))
    .map((entry) => entry.message)
    .join(' ');

  return (
    <Dialog
      key="form"
      size="wide"
      title="Verification"
      description={
        <>
          Who may send to <span className="font-mono text-xs break-all">{entrypoint.url}</span>: requests that
          fail the check are answered 401 and stored nowhere.
        </>
      }
      onClose={onClose}
    >
      <form onSubmit={submit} className="space-y-4">
        <SelectField
          label="Sender verification"
          data-autofocus
          required
          value={choice}
          onChange={(event) => setChoice(event.target.value as Choice)}
          error={error('method', 'The method') ?? error('preset', 'The preset')}
          hint={
            preset
              ? describeScheme(preset)
              : method
                ? METHODS.find((option) => option.method === method)?.hint
                : presets.isError
                  ? `The providers' presets cannot be loaded: ${errorMessage(presets.error)}`
                  : 'Choose the sender, or how it proves who it is.'
          }
        >
          <option value="" disabled>
            Choose…
          </option>
          <optgroup label="Providers">
            {presets.data?.map((candidate) => (
              <option key={candidate.id} value={`preset:${candidate.id}`}>
                {candidate.name}
              </option>
            ))}
          </optgroup>
          <optgroup label="Any sender">
            {METHODS.map((option) => (
              <option key={option.method} value={`method:${option.method}`}>
                {option.label}
              </option>
            ))}
          </optgroup>
        </SelectField>
        {fields}
        {verified && <SecretsList entrypoint={entrypoint} rotated={rotated} onRotate={onRotate} />}
        <ErrorAlert message={formError(save.error) ?? (unshown || undefined)} />
        <DialogActions>
          {verified && (
            <Button variant="ghost-danger" className="sm:mr-auto" onClick={onTurnOff}>
              Turn off…
            </Button>
          )}
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={save.isPending || choice === ''}>
            {save.isPending ? 'Saving…' : 'Save'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

interface HmacFieldsProps {
  values: Values;
  set: <K extends keyof Values>(key: K) => (event: { target: { value: string } }) => void;
  error: (field: string, label: string) => string | undefined;
}

/** The settings of an HMAC signature made by hand. */
function HmacFields({ values, set, error }: HmacFieldsProps) {
  const timestamped = values.timestampHeader.trim() !== '' || values.signatureFormat === 'stripe';
  return (
    <fieldset className="grid gap-4 rounded-lg px-4 pt-2 pb-4 ring-1 ring-slate-200 sm:grid-cols-2">
      <legend className="px-1 text-sm font-medium text-slate-700">Signature</legend>
      <TextField
        label="Signature header"
        required
        placeholder="x-signature"
        maxLength={100}
        value={values.header}
        onChange={set('header')}
        error={error('header', 'The signature header')}
      />
      <SelectField
        label="Header format"
        value={values.signatureFormat}
        onChange={set('signatureFormat')}
        error={error('signatureFormat', 'The header format')}
      >
        {FORMATS.map((format) => (
          <option key={format.value} value={format.value}>
            {format.label}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Algorithm"
        value={values.algorithm}
        onChange={set('algorithm')}
        error={error('algorithm', 'The algorithm')}
      >
        {ALGORITHMS.map((algorithm) => (
          <option key={algorithm} value={algorithm}>
            HMAC-{algorithm.toUpperCase()}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Encoding"
        value={values.encoding}
        onChange={set('encoding')}
        error={error('encoding', 'The encoding')}
      >
        {ENCODINGS.map((encoding) => (
          <option key={encoding}>{encoding}</option>
        ))}
      </SelectField>
      {values.signatureFormat === 'plain' && (
        <TextField
          label="Prefix"
          hint="Text before the signature, e.g. sha256=. Optional."
          maxLength={50}
          value={values.prefix}
          onChange={set('prefix')}
          error={error('prefix', 'The prefix')}
        />
      )}
      <TextField
        label="Signed content"
        hint="{body} is the raw body; {timestamp} and {id} come from the headers below."
        required
        maxLength={200}
        value={values.signedContent}
        onChange={set('signedContent')}
        error={error('signedContent', 'The signed content')}
      />
      <TextField
        label="Timestamp header"
        hint="Optional: the signed Unix time, refused when too old."
        maxLength={100}
        value={values.timestampHeader}
        onChange={set('timestampHeader')}
        error={error('timestampHeader', 'The timestamp header')}
      />
      {timestamped && (
        <TextField
          label="Tolerance (seconds)"
          hint="How far the timestamp may be from now, 1–86 400."
          type="number"
          inputMode="numeric"
          min={1}
          max={86_400}
          step={1}
          placeholder={String(DEFAULT_TOLERANCE_SECONDS)}
          value={values.toleranceSeconds}
          onChange={set('toleranceSeconds')}
          error={error('toleranceSeconds', 'The tolerance')}
        />
      )}
      <TextField
        label="ID header"
        hint="Optional: the message id, for {id}."
        maxLength={100}
        value={values.idHeader}
        onChange={set('idHeader')}
        error={error('idHeader', 'The ID header')}
      />
    </fieldset>
  );
}

/** The live secrets as hints, and the way to rotate. */
function SecretsList({
  entrypoint,
  rotated,
  onRotate,
}: {
  entrypoint: EntrypointDto;
  rotated: boolean;
  onRotate: () => void;
}) {
  const { secrets } = entrypoint.verification;
  return (
    <section aria-label="Live secrets" className="rounded-lg bg-slate-50 px-4 py-3 ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2">
        <h3 className="text-sm font-medium text-slate-700">Live secrets</h3>
        <Button size="sm" onClick={onRotate}>
          Rotate secret…
        </Button>
      </div>
      <ul className="mt-2 space-y-1.5">
        {secrets.map((secret) => (
          <li key={secret.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
            <span className="font-mono text-slate-900">{secret.hint}</span>
            {secret.expiresAt ? (
              <Badge tone="amber">
                stops&nbsp;
                <RelativeTime value={secret.expiresAt} />
              </Badge>
            ) : (
              <Badge tone="green">current</Badge>
            )}
            <span className="text-xs text-slate-500">
              added <RelativeTime value={secret.createdAt} />
            </span>
          </li>
        ))}
      </ul>
      {rotated && (
        <p role="status" className="mt-2 text-sm text-emerald-700">
          Rotated: the new secret verifies now, the older one until its grace period ends.
        </p>
      )}
    </section>
  );
}

/** A new secret that verifies at once, the current one still verifying for the grace period. */
function RotateSecretDialog({
  entrypoint,
  onDone,
}: {
  entrypoint: EntrypointDto;
  onDone: (rotated: boolean) => void;
}) {
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState('');
  const [graceHours, setGraceHours] = useState(String(DEFAULT_GRACE_HOURS));
  const rotate = useMutation({
    ...addVerificationSecretMutation(),
    onSuccess: async () => {
      await invalidateEntrypoints(queryClient, entrypoint.webhookId);
      onDone(true);
    },
  });
  const current = entrypoint.verification.secrets.find((candidate) => !candidate.expiresAt);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    rotate.mutate({
      path: { id: entrypoint.id },
      body: { secret, gracePeriodHours: Number(graceHours) },
    });
  };
  return (
    <Dialog
      key="rotate"
      title="Rotate secret"
      description="To change the secret without refusing a single request."
      onClose={() => onDone(false)}
    >
      <form onSubmit={submit} className="space-y-4">
        <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-600">
          <li>Save the new secret here: it verifies from now on.</li>
          <li>
            The current secret {current && <span className="font-mono text-slate-900">{current.hint}</span>}{' '}
            keeps verifying for the grace period:{' '}
            <strong className="font-medium text-slate-900">both work</strong> meanwhile.
          </li>
          <li>Give the new secret to the sender before the grace period ends; then the old one stops.</li>
        </ol>
        <TextField
          label="New secret"
          hint="12 characters or more; never shown again."
          type="password"
          autoComplete="new-password"
          data-autofocus
          required
          maxLength={1000}
          value={secret}
          onChange={(event) => setSecret(event.target.value)}
          error={
            fieldError(rotate.error, 'secret', 'The new secret') ??
            fieldError(rotate.error, 'verification.secret', 'The new secret')
          }
        />
        <TextField
          label="Grace period (hours)"
          hint="How long the current secret keeps verifying, 0–720; 0 stops it at once."
          type="number"
          inputMode="numeric"
          min={0}
          max={720}
          step={1}
          required
          value={graceHours}
          onChange={(event) => setGraceHours(event.target.value)}
          error={fieldError(rotate.error, 'gracePeriodHours', 'The grace period')}
        />
        <ErrorAlert message={formError(rotate.error)} />
        <DialogActions>
          <Button onClick={() => onDone(false)}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={rotate.isPending}>
            {rotate.isPending ? 'Rotating…' : 'Rotate'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function TurnOffDialog({
  entrypoint,
  onDone,
  onCancel,
}: {
  entrypoint: EntrypointDto;
  onDone: () => void;
  onCancel: () => void;
}) {
  const queryClient = useQueryClient();
  const turnOff = useMutation({
    ...updateEntrypointMutation(),
    onSuccess: async () => {
      toast.success('Verification turned off');
      await invalidateEntrypoints(queryClient, entrypoint.webhookId);
      onDone();
    },
  });
  return (
    <ConfirmDialog
      key="off"
      title="Turn verification off?"
      confirmLabel="Turn off"
      destructive
      pending={turnOff.isPending}
      error={turnOff.isError ? errorMessage(turnOff.error) : undefined}
      onConfirm={() =>
        turnOff.mutate({ path: { id: entrypoint.id }, body: { verification: { method: 'none' } } })
      }
      onClose={onCancel}
    >
      <p className="font-mono text-xs break-all text-slate-900">{entrypoint.url}</p>
      <p>
        Anyone who knows this URL can then send events, and targets receive them signed as if they were
        genuine. Its secrets are forgotten: turning verification on again needs the secret anew.
      </p>
    </ConfirmDialog>
  );
}
