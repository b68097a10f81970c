import { changeMyPasswordMutation } from '@webhooker/api-client';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { toast } from 'sonner';
import { Button } from '../../components/Button';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TextField } from '../../components/Field';
import { fieldError, formError } from '../../lib/problem';

const MIN_LENGTH = 8;

export function ChangePasswordForm({ username }: { username: string }) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    ...changeMyPasswordMutation(),
    onSuccess: () => {
      toast.success('Password changed', { description: 'Your other sessions have been logged out.' });
      setCurrentPassword('');
      setNewPassword('');
      setConfirmation('');
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const differs = newPassword !== confirmation;
    setMismatch(differs);
    if (!differs) change.mutate({ body: { currentPassword, newPassword } });
  };

  return (
    <form onSubmit={submit} className="max-w-md space-y-4">
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <TextField
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        value={currentPassword}
        onChange={(event) => setCurrentPassword(event.target.value)}
        error={fieldError(change.error, 'currentPassword')}
      />
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        minLength={MIN_LENGTH}
        hint={`At least ${MIN_LENGTH} characters.`}
        value={newPassword}
        onChange={(event) => setNewPassword(event.target.value)}
        error={fieldError(change.error, 'newPassword')}
      />
      <TextField
        label="Confirm new password"
        type="password"
        autoComplete="new-password"
        required
        value={confirmation}
        onChange={(event) => {
          setConfirmation(event.target.value);
          setMismatch(false);
        }}
        error={mismatch ? 'The two new passwords differ' : undefined}
      />
      <ErrorAlert message={formError(change.error)} />
      <Button type="submit" variant="primary" disabled={change.isPending}>
        {change.isPending ? 'Saving…' : 'Change password'}
      </Button>
    </form>
  );
}
