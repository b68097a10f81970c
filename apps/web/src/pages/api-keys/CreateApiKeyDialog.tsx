import { createApiKeyMutation, listApiKeysQueryKey } from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Button } from '../../components/Button';
import { CodeBlock } from '../../components/CodeBlock';
import { Dialog, DialogActions } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TextField } from '../../components/Field';
import { SecretValue } from '../../components/SecretValue';
import { fieldError, formError } from '../../lib/problem';

/** Asks for a name, creates the key, then shows it this once with a curl example. */
export function CreateApiKeyDialog({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const refreshList = () => queryClient.invalidateQueries({ queryKey: listApiKeysQueryKey() });
  const create = useMutation({ ...createApiKeyMutation(), onSuccess: refreshList });
  // The key may have been tried out with the curl example meanwhile: refresh its "last used".
  const done = () => {
    refreshList();
    onClose();
  };

  if (create.data) {
    const curl = `curl -H "Authorization: Bearer ${create.data.key}" ${window.location.origin}/api/v1/auth/me`;
    return (
      <Dialog
        key="created"
        size="wide"
        title="API key created"
        description={`“${create.data.name}” is ready to use.`}
        onClose={done}
      >
        <div className="space-y-5">
          <SecretValue label="API key" value={create.data.key} />
          <CodeBlock label="Try it" code={curl} />
        </div>
        <DialogActions>
          <Button variant="primary" data-autofocus onClick={done}>
            Done
          </Button>
        </DialogActions>
      </Dialog>
    );
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ body: { name } });
  };

  return (
    <Dialog
      key="form"
      title="Create API key"
      description="The key acts as you: send it as a Bearer token from scripts and CI pipelines."
      onClose={onClose}
    >
      <form onSubmit={submit} className="space-y-4">
        <TextField
          label="Name"
          hint="What the key is for, e.g. the pipeline that uses it."
          data-autofocus
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={fieldError(create.error, 'name')}
        />
        <ErrorAlert message={formError(create.error)} />
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create API key'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
