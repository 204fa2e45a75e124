import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useClient } from './client';
import { invalidationTable } from './invalidation';

/** Subscribes once to core events and invalidates queries through the table. */
export function useEventInvalidation(onEvent?: (event: string) => void): void {
  const client = useClient();
  const queryClient = useQueryClient();
  useEffect(
    () =>
      client.subscribe((event) => {
        for (const queryKey of invalidationTable[event.event] ?? []) {
          void queryClient.invalidateQueries({ queryKey: [...queryKey] });
        }
        onEvent?.(event.event);
      }),
    [client, queryClient, onEvent],
  );
}
