import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { EventName, EventPayload } from '../../core/contract';
import { useClient } from './client';
import { applyEventEffect } from './event-effects';

/** Subscribes once to core events and applies each through the event-effects table. */
export function useEventEffects(): void {
  const client = useClient();
  const queryClient = useQueryClient();
  useEffect(
    () =>
      client.subscribe((event) => applyEventEffect(queryClient, event.event, event.payload as EventPayload<EventName>)),
    [client, queryClient],
  );
}
