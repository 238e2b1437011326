/**
 * Hand-driven timers for controller-runtime tests: time moves only when the test calls
 * `advance`, which fires due timers in order of their due time.
 */
import type { Timers } from "../../src/controllers/runtime/timers.js";

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** `Timers` whose clock the test moves; records every delay asked for. */
export class FakeTimers implements Timers {
  #now = 0;
  #seq = 0;
  readonly #pending = new Set<Pending>();
  /** Every `ms` passed to `schedule`, in call order. */
  readonly delays: number[] = [];

  now(): number {
    return this.#now;
  }

  schedule(fn: () => void, ms: number): () => void {
    this.delays.push(ms);
    const entry = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#pending.add(entry);
    return () => this.#pending.delete(entry);
  }

  /** How many timers have not fired nor been cancelled. */
  pendingCount(): number {
    return this.#pending.size;
  }

  /** True when a timer that has not fired nor been cancelled falls due exactly `ms` from now. */
  pendingIn(ms: number): boolean {
    return [...this.#pending].some((p) => p.at === this.#now + ms);
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const next = [...this.#pending]
        .filter((p) => p.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.#pending.delete(next);
      this.#now = next.at;
      next.fn();
    }
    this.#now = until;
  }
}
