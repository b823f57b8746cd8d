// Chart.js for the results views, tree-shaken: only the controllers, elements, scales and plugins
// the dashboard uses are registered. Chart.js 4 injects no <style> element; its responsive resize
// sets canvas sizes through CSSOM (element.style.x = …), which the CSP's `style-src 'self'` allows.
// Each chart sits in a sized, relatively positioned box (results.css .chart-box), as Chart.js's
// responsive mode requires, and carries a text alternative (aria-label; views add an sr-only table).
// Chart.js formats tick numbers in the app's locale (i18n.ts), read when a chart is built; the
// views rebuild their charts (new configs) when the language changes.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { locale } from '../i18n';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  BarController,
  BarElement,
  DoughnutController,
  ArcElement,
  CategoryScale,
  LinearScale,
  Filler,
  Tooltip,
  Legend,
);

Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif";
Chart.defaults.font.size = 12;
Chart.defaults.color = '#5d6b7c';
Chart.defaults.borderColor = '#e6ebf0';
Chart.defaults.maintainAspectRatio = false;
// Merged into the defaults (assigning the object would drop the easing and break every animation).
Chart.defaults.set('animation', { duration: 400 });

/** The palette, in the order series take it (matches the tokens in styles.css). */
export const COLORS = {
  primary: '#2a7ab8',
  primarySoft: 'rgba(42, 122, 184, 0.14)',
  ok: '#1e7d46',
  bad: '#b3261e',
  warn: '#c98a0b',
  violet: '#7a5af5',
  slate: '#8a99ab',
};
export const SERIES = [COLORS.primary, COLORS.violet, COLORS.ok, COLORS.warn, COLORS.bad, COLORS.slate];

/**
 * A canvas that shows one Chart.js configuration. The chart is rebuilt when `config` changes
 * (callers memoise it) and destroyed on unmount. `label` is the chart's text alternative.
 */
export function ChartCanvas<T extends ChartType>(props: {
  config: ChartConfiguration<T>;
  label: string;
  size?: 'sm' | 'md' | 'lg';
  testid?: string;
  /** The label names the shop's own things (campaign names): not to be translated by a tool; the
   *  app's words in it are already in the reader's language. */
  userData?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return undefined;
    Chart.defaults.locale = locale(); // the language of this chart's numbers, as it is now
    const chart = new Chart(canvas.current, props.config);
    return () => chart.destroy();
  }, [props.config]);
  return (
    <div class={'chart-box chart-' + (props.size ?? 'md')} data-testid={props.testid}>
      <canvas ref={canvas} role="img" aria-label={props.label} translate={!props.userData} />
    </div>
  );
}
