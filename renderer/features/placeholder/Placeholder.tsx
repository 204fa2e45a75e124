/** A screen whose capability has not landed yet says so plainly instead of pretending. */
export function Placeholder({ arrivesWith }: { arrivesWith: string }) {
  return (
    <section className="card placeholder" aria-label="Not available yet">
      <p>
        This screen arrives with <strong>{arrivesWith}</strong>. Nothing here is simulated: it stays empty until that
        capability records real evidence.
      </p>
    </section>
  );
}
