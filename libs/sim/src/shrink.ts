import type { Action } from './history.js';

export interface ShrinkBudget {
  /** At most this many replays. */
  runs: number;
  /** And no replay started after this instant (ms since the epoch). */
  deadline: number;
}

export interface ShrinkResult {
  actions: Action[];
  runs: number;
  exhausted: boolean;
}

/**
 * Shrinks a failing history by deleting chunks of actions (halves, then quarters, ... then single
 * actions: delta debugging without the complement step). `fails` replays a candidate on a fresh
 * database and returns the index of the action after which the same invariant broke, or null;
 * a candidate that fails earlier is cut right after that action. The last action of the current
 * history is never removed on its own, since it is where the failure shows.
 */
export async function shrinkHistory(
  failing: Action[],
  fails: (candidate: Action[]) => Promise<number | null>,
  budget: ShrinkBudget,
): Promise<ShrinkResult> {
  let current = failing;
  let runs = 0;
  const spent = () => runs >= budget.runs || Date.now() >= budget.deadline;
  const attempt = async (candidate: Action[]): Promise<boolean> => {
    runs++;
    const at = await fails(candidate);
    if (at === null) return false;
    current = candidate.slice(0, at + 1);
    return true;
  };

  let chunk = Math.max(1, Math.floor(current.length / 2));
  for (;;) {
    let changed = false;
    // From the end backwards: late actions are the likeliest to be irrelevant noise after a cause.
    for (let end = current.length - 1; end > 0 && !spent();) {
      const start = Math.max(0, end - chunk);
      const candidate = [...current.slice(0, start), ...current.slice(end)];
      if (candidate.length < current.length && (await attempt(candidate))) {
        changed = true;
        end = Math.min(start, current.length - 1);
      } else {
        end = start;
      }
    }
    if (spent()) return { actions: current, runs, exhausted: true };
    if (!changed) {
      if (chunk === 1) return { actions: current, runs, exhausted: false };
      chunk = Math.max(1, Math.floor(chunk / 2));
    }
  }
}
