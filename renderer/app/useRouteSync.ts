import { useEffect } from 'react';
import { useUi } from '../state/ui';
import { parseRoute } from './route';

/** Back, forward and an edited address move the console; its own moves write the address (state/ui.ts). */
export function useRouteSync(): void {
  const adopt = useUi((state) => state.adopt);
  useEffect(() => {
    const onChange = () => {
      const route = parseRoute(window.location.hash);
      if (route) adopt(route);
    };
    window.addEventListener('popstate', onChange);
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('popstate', onChange);
      window.removeEventListener('hashchange', onChange);
    };
  }, [adopt]);
}
