import { logoutMutation } from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';
import { hasStatus } from '../lib/problem';

/** Ends the session and goes to the login page, also when the session had already ended. */
export function useLogout() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return useMutation({
    ...logoutMutation(),
    onSettled: (_data, error) => {
      if (error && !hasStatus(error, 401)) return;
      toast.success('Logged out');
      navigate('/login', { replace: true });
      queryClient.clear();
    },
  });
}
