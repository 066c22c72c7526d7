/**
 * What a scenario is and what it hands back: groups of measurements, targets, notes.
 *
 * @module
 */
import type { GroupResult } from './harness.js';

/** A speed target from the issue, checked in the same run. */
export interface TargetCheck {
  /** What is checked, e.g. "match at 100k subscriptions vs qlobber". */
  label: string;
  /** The measured value (usually a ratio logcaster / peer). */
  value: number;
  /** The bound it must meet. */
  target: number;
  /** `'at-least'`: value >= target; `'at-most'`: value <= target. */
  kind: 'at-least' | 'at-most';
  /** The unit of `value` and `target`; a ratio (×) when absent. */
  unit?: string;
  met: boolean;
}

/** Everything one scenario produced. */
export interface ScenarioResult {
  name: string;
  title: string;
  /** When the scenario ran (ISO 8601). */
  date: string;
  groups: GroupResult[];
  targets: TargetCheck[];
  notes: string[];
  /** Set when the scenario could not run (a missing module, a machine limit). */
  skipped?: string;
}

/** Handed to a scenario: it reports groups, targets and notes as it goes. */
export interface ScenarioContext {
  /** Prints the group's table now and keeps it for the JSON and the chart. */
  group(result: GroupResult): void;
  /** Checks a target and prints whether it was met; `unit` absent means a ratio. */
  target(label: string, value: number, kind: TargetCheck['kind'], target: number, unit?: string): void;
  /** A line of context printed now and kept in the results. */
  note(text: string): void;
}

/** A bench scenario: one file in bench/scenarios/. */
export interface Scenario {
  /** Short name used by the filter (`npm run bench -- <name>`) and for the chart file. */
  name: string;
  title: string;
  run(context: ScenarioContext): Promise<void>;
}
