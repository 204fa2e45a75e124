import { useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

/** Whether anyone is signed in, and how one can sign in here (open before sign-in). */
export function useSessionStatus() {
  const client = useClient();
  return useQuery({ queryKey: ['session.status'], queryFn: () => client.call('session.status', {}) });
}

/**
 * Starts a sign-in at the tenant's IdP. The shell fixes the loopback redirect; browser mode
 * then navigates to the IdP, the desktop app opens the system browser itself.
 */
export function useBeginSignIn() {
  const client = useClient();
  return useMutation({
    mutationFn: (input: { tenant: string; test?: boolean }) =>
      client.call('session.begin', {
        tenant: input.tenant,
        test: input.test,
        redirectUri: 'http://127.0.0.1:1/auth/callback',
      }),
  });
}

export function useLocalSignIn() {
  const client = useClient();
  return useMutation({ mutationFn: () => client.call('session.local', {}) });
}

export function useSignOut() {
  const client = useClient();
  return useMutation({ mutationFn: () => client.call('session.logout', { sessionId: 'held-by-the-shell' }) });
}

export function useTenantProfile(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['tenants.profile.get', tenant],
    enabled: tenant !== null,
    queryFn: () => client.call('tenants.profile.get', {}, { tenant: tenant as string }),
  });
}

export function useUpdateProfile(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'tenants.profile.update'>) =>
      client.call('tenants.profile.update', input, { tenant: tenant as string }),
  });
}

export function useTenantStatus(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['tenants.status', tenant],
    enabled: tenant !== null,
    queryFn: () => client.call('tenants.status', {}, { tenant: tenant as string }),
  });
}

export function useMembers(tenant: string | null, enabled: boolean) {
  const client = useClient();
  return useQuery({
    queryKey: ['tenants.members', tenant],
    enabled: tenant !== null && enabled,
    queryFn: () => client.call('tenants.members', {}, { tenant: tenant as string }),
  });
}

export function useOnboard() {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'tenants.onboard'>) => client.call('tenants.onboard', input),
  });
}
