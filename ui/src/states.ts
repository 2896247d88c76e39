// Airflow's run states, coloured as Airflow colours them.
export const STATE_PALETTE: Record<string, string> = {
  success: "green",
  failed: "red",
  running: "cyan",
  queued: "gray",
  scheduled: "gray",
  skipped: "pink",
  up_for_retry: "yellow",
  up_for_reschedule: "teal",
  deferred: "purple",
  upstream_failed: "orange",
};

export function stateLabel(state: string): string {
  return state.replace(/_/g, " ");
}
