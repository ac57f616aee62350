// web/src/components/StackedChart: records per day as bars stacked by category (FF/FD/DF),
// drawn with Chart.js on a canvas; the same numbers are in a table below for screen readers.
import { useEffect, useRef } from 'preact/hooks';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { useI18n } from '../i18n.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export const categories = ['FF', 'FD', 'DF'];
const colours = { FF: '#3b6ea8', FD: '#d08a2c', DF: '#4c9a5f' };

export function StackedChart({ days }) {
  const { t } = useI18n();
  const canvas = useRef(null);
  useEffect(() => {
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: days.map((day) => day.date),
        datasets: categories.map((category) => ({
          label: t(`category.${category}`),
          data: days.map((day) => day[category] ?? 0),
          backgroundColor: colours[category],
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
    return () => chart.destroy();
  }, [days, t]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={t('dash.chart_label', { n: days.length })} />
    </div>
  );
}
