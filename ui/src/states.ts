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

// Palettes whose solid colour is a middle tone: white text on it falls below WCAG's 4.5:1
// (white on the up-for-retry yellow is 2.9:1), near-black stays above it.
const MIDDLE_TONES = new Set(["yellow", "orange", "cyan", "teal", "pink"]);

/** A state badge's palette, and the text colour it needs where white would be hard to read. */
export function stateBadge(state: string): { colorPalette: string; color?: string } {
  const palette = STATE_PALETTE[state] ?? "gray";
  return MIDDLE_TONES.has(palette) ? { colorPalette: palette, color: "gray.950" } : { colorPalette: palette };
}

export function stateLabel(state: string): string {
  return state.replace(/_/g, " ");
}
