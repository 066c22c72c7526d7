/**
 * The web viewer's counters for `/metrics`, in the Prometheus text format.
 *
 * @module
 */
import { PrometheusWriter, type PrometheusType } from 'logcaster/adapter';
import type { WebViewerStats } from './web-viewer.js';

type Family = readonly [name: string, type: PrometheusType, help: string, value: number];

/** The web viewer's counters as Prometheus text. */
export function webViewerMetrics(stats: WebViewerStats): string {
  const families: Family[] = [
    ['logcaster_web_viewers', 'gauge', 'Open web viewer streams (one broker subscription each).', stats.viewers],
    ['logcaster_web_viewers_opened_total', 'counter', 'Web viewer streams opened.', stats.viewersTotal],
    ['logcaster_web_lines_sent_total', 'counter', 'Log entries written to web viewers.', stats.linesSent],
    ['logcaster_web_lines_skipped_total', 'counter', 'Log entries dropped from web viewer queues (viewer too slow), shown as skipped.', stats.linesSkipped],
    ['logcaster_web_lines_replayed_total', 'counter', 'Log entries written to web viewers from the history (backlog and resume).', stats.linesReplayed],
    ['logcaster_web_resumes_total', 'counter', 'Web viewer streams resumed from a Last-Event-ID.', stats.resumes],
    ['logcaster_web_resume_gaps_total', 'counter', 'Resumes that found lines the history no longer held.', stats.resumeGaps],
    ['logcaster_web_queued_lines', 'gauge', 'Log entries waiting in web viewer queues.', stats.pending],
    ['logcaster_web_unauthorized_total', 'counter', 'Web viewer requests refused for a missing or wrong password.', stats.unauthorized],
    ['logcaster_web_refused_total', 'counter', 'Web viewer streams refused because the viewer limit, or the limit per address, was reached.', stats.refused],
    ['logcaster_web_locked_total', 'counter', 'Web viewer requests refused (429) because their address had used up its password attempts.', stats.locked],
  ];
  const writer = new PrometheusWriter();
  for (const [name, type, help, value] of families) writer.family(name, type, help, [{ value }]);
  return writer.toString();
}
