import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ContractClient } from '../../core/contract';
import { ClientProvider } from '../api/client';
import { createQueryClient } from '../api/queries';
import { useUi } from '../state/ui';
import { App } from './App';
import { parseRoute } from './route';
import '../styles.css';

/** Mounts the console around whichever contract client the shell provides. */
export function mount(element: HTMLElement, client: ContractClient): void {
  // The address names the screen, tenant and filters: the first render already shows them.
  const route = parseRoute(window.location.hash);
  if (route) useUi.getState().adopt(route);
  createRoot(element).render(
    <StrictMode>
      <ClientProvider value={client}>
        <QueryClientProvider client={createQueryClient()}>
          <App />
        </QueryClientProvider>
      </ClientProvider>
    </StrictMode>,
  );
}
