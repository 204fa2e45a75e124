import { createContext, useContext } from 'react';
import type { ContractClient } from '../../core/contract';

const ClientContext = createContext<ContractClient | null>(null);
export const ClientProvider = ClientContext.Provider;

/** The contract client for whichever shell hosts the renderer (Electron preload or browser bridge). */
export function useClient(): ContractClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside ClientProvider');
  return client;
}
