import { useUi } from '../state/ui';

/** The console's single polite live region (HOUSE rule 8). */
export function LiveRegion() {
  const announcement = useUi((state) => state.announcement);
  return (
    <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="live-region">
      {announcement?.text ?? ''}
    </div>
  );
}
