import {
  listSigningSecretsOptions,
  revokeSigningSecretMutation,
  rotateSigningSecretMutation,
  type SigningSecretDto,
  type TargetDto,
} from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge } from '../../components/Badge';
import { Button } from '../../components/Button';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TextField } from '../../components/Field';
import { RelativeTime } from '../../components/RelativeTime';
import { SecretValue } from '../../components/SecretValue';
import { errorMessage, fieldError, formError } from '../../lib/problem';
import { invalidateTargets } from '../../lib/queries';
import { SigningSecretHelp } from './SigningSecretHelp';

const DEFAULT_GRACE_HOURS = 24;

/**
 * An http target's live signing secrets: rotate (the new secret is shown once; the older ones keep
 * signing for a grace period) and revoke.
 */
export function SigningSecretsDialog({ target, onClose }: { target: TargetDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const secrets = useQuery(listSigningSecretsOptions({ path: { id: target.id } }));
  const [graceHours, setGraceHours] = useState(String(DEFAULT_GRACE_HOURS));
  const [revoking, setRevoking] = useState<SigningSecretDto>();
  const refresh = () => invalidateTargets(queryClient, target.webhookId, target.id);
  const rotate = useMutation({ ...rotateSigningSecretMutation(), onSuccess: refresh });
  const revoke = useMutation({
    ...revokeSigningSecretMutation(),
    onSuccess: async () => {
      await refresh();
      setRevoking(undefined);
    },
  });

  if (rotate.data) {
    return (
      <Dialog
        key="rotated"
        size="wide"
        title="New signing secret"
        description={`“${target.name}” is signed with it from now on; the older secrets keep signing until they expire.`}
        onClose={() => rotate.reset()}
      >
        <div className="space-y-5">
          <SecretValue label="Signing secret" value={rotate.data.secret} />
          <SigningSecretHelp />
        </div>
        <DialogActions>
          <Button variant="primary" data-autofocus onClick={() => rotate.reset()}>
            Done
          </Button>
        </DialogActions>
      </Dialog>
    );
  }

  if (revoking) {
    return (
      <ConfirmDialog
        key="revoke"
        title="Revoke signing secret?"
        confirmLabel="Revoke"
        destructive
        pending={revoke.isPending}
        error={revoke.isError ? errorMessage(revoke.error) : undefined}
        onConfirm={() => revoke.mutate({ path: { id: target.id, secretId: revoking.id } })}
        onClose={() => {
          revoke.reset();
          setRevoking(undefined);
        }}
      >
        <p>
          <span className="font-mono text-slate-900">{revoking.prefix}</span> stops signing at once: a
          receiver that only knows this secret rejects the next requests. This cannot be undone.
        </p>
      </ConfirmDialog>
    );
  }

  const items = secrets.data ?? [];
  return (
    <Dialog
      key="list"
      size="wide"
      title={`Signing secrets of ${target.name}`}
      description="Requests are signed with every live secret, so receivers can switch to a new one without a gap."
      onClose={onClose}
    >
      <div className="space-y-5">
        <ul className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
          {secrets.isPending && <li className="px-4 py-3 text-sm text-slate-500">Loading…</li>}
          {secrets.isError && (
            <li className="px-4 py-3 text-sm text-red-600">{errorMessage(secrets.error)}</li>
          )}
          {secrets.isSuccess && items.length === 0 && (
            <li className="px-4 py-3 text-sm text-slate-500">
              No live secrets: requests go out unsigned. Rotate to create one.
            </li>
          )}
          {items.map((secret) => (
            <li key={secret.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-4 py-3 text-sm">
              <span className="font-mono text-slate-900">{secret.prefix}</span>
              {secret.expiresAt ? (
                <Badge tone="amber">
                  expires&nbsp;
                  <RelativeTime value={secret.expiresAt} />
                </Badge>
              ) : (
                <Badge tone="green">current</Badge>
              )}
              <span className="flex-1 text-xs text-slate-500">
                created <RelativeTime value={secret.createdAt} />
              </span>
              <Button
                size="sm"
                variant="ghost-danger"
                aria-label={`Revoke ${secret.prefix}`}
                onClick={() => setRevoking(secret)}
              >
                Revoke
              </Button>
            </li>
          ))}
        </ul>
        <form
          className="flex flex-wrap items-end gap-3 rounded-lg bg-slate-50 px-4 py-4 ring-1 ring-slate-200"
          onSubmit={(event) => {
            event.preventDefault();
            rotate.mutate({ path: { id: target.id }, body: { gracePeriodHours: Number(graceHours) } });
          }}
        >
          <div className="w-full sm:w-56">
            <TextField
              label="Grace period (hours)"
              hint="How long the current secrets keep signing, 0–720."
              type="number"
              inputMode="numeric"
              min={0}
              max={720}
              step={1}
              required
              value={graceHours}
              onChange={(event) => setGraceHours(event.target.value)}
              error={fieldError(rotate.error, 'gracePeriodHours')}
            />
          </div>
          <Button type="submit" variant="primary" className="mb-6 max-sm:mb-0" disabled={rotate.isPending}>
            {rotate.isPending ? 'Rotating…' : 'Rotate'}
          </Button>
        </form>
        <ErrorAlert message={formError(rotate.error)} />
      </div>
      <DialogActions>
        <Button data-autofocus onClick={onClose}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
