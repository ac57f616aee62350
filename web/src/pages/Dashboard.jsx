// web/src/pages/Dashboard: statistics only (GET /api/dashboard): records per day by category,
// selections by rule and the recent sieve runs. No record contents are shown here.
import { useState } from 'preact/hooks';
import { formatNumber, formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { ErrorNote, Loading } from '../components/Status.jsx';
import { StackedChart, categories } from '../components/StackedChart.jsx';

const periods = [7, 14, 30, 90];

// A run's summary in one line: the main counts when the run has them, else every plain value.
const mainCounts = ['packets', 'flows', 'selected_flows', 'records', 'bytes'];
function summaryText(summary, lang) {
  if (!summary || typeof summary !== 'object') return '';
  const plain = Object.entries(summary).filter(([, v]) => typeof v !== 'object' || v === null);
  const main = plain.filter(([key]) => mainCounts.includes(key));
  return (main.length > 0 ? main : plain)
    .map(([key, value]) => `${key}: ${formatNumber(value, lang)}`)
    .join(', ');
}

export function Dashboard({ api }) {
  const { t, lang } = useI18n();
  const [days, setDays] = useState(14);
  const { data, error, loading } = useApiData(api, `/api/dashboard?days=${days}`);

  return (
    <section aria-labelledby="dash-heading">
      <h1 id="dash-heading">{t('dash.heading')}</h1>
      <div class="toolbar">
        <label for="dash-days">{t('dash.days')}</label>
        <select id="dash-days" value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
          {periods.map((n) => (
            <option key={n} value={n}>
              {t('dash.days_n', { n })}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={error} />
      {loading && !data && <Loading />}
      {data && (
        <>
          <section aria-labelledby="dash-per-day" class="panel">
            <h2 id="dash-per-day">{t('dash.per_day')}</h2>
            <p class="total">{t('dash.total', { n: formatNumber(data.records_total, lang) })}</p>
            <StackedChart days={data.days ?? []} />
            <details>
              <summary>{t('common.data_table')}</summary>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('dash.date')}</th>
                    {categories.map((c) => (
                      <th scope="col" key={c}>
                        {t(`category.${c}`)}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {(data.days ?? []).map((day) => (
                    <tr key={day.date}>
                      <th scope="row">{day.date}</th>
                      {categories.map((c) => (
                        <td key={c} class="num">
                          {formatNumber(day[c] ?? 0, lang)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </section>
          <section aria-labelledby="dash-by-rule" class="panel">
            <h2 id="dash-by-rule">{t('dash.by_rule')}</h2>
            {(data.by_rule ?? []).length === 0 ? (
              <p>{t('common.none')}</p>
            ) : (
              <table class="by-rule">
                <thead>
                  <tr>
                    <th scope="col">{t('dash.rule')}</th>
                    <th scope="col">{t('dash.records')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.by_rule.map((row) => (
                    <tr key={row.rule}>
                      <th scope="row">
                        <code>{row.rule}</code>
                      </th>
                      <td class="num">{formatNumber(row.records, lang)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="dash-runs" class="panel">
            <h2 id="dash-runs">{t('dash.runs')}</h2>
            {(data.runs ?? []).length === 0 ? (
              <p>{t('common.none')}</p>
            ) : (
              <table class="runs">
                <thead>
                  <tr>
                    <th scope="col">{t('run.id')}</th>
                    <th scope="col">{t('run.sensor')}</th>
                    <th scope="col">{t('run.input')}</th>
                    <th scope="col">{t('run.started')}</th>
                    <th scope="col">{t('run.ended')}</th>
                    <th scope="col">{t('run.records')}</th>
                    <th scope="col">{t('run.summary')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.runs.map((run) => (
                    <tr key={run.id}>
                      <td>{run.id}</td>
                      <td>{run.sensor}</td>
                      <td class="wrap">{run.input}</td>
                      <td class="time">{formatTime(run.started_at, lang)}</td>
                      <td class="time">{run.ended_at ? formatTime(run.ended_at, lang) : t('run.running')}</td>
                      <td class="num">{formatNumber(run.records, lang)}</td>
                      <td class="wrap">
                        {summaryText(run.summary, lang)}
                        {run.summary && (
                          <details>
                            <summary>{t('common.details')}</summary>
                            <pre>{JSON.stringify(run.summary, null, 2)}</pre>
                          </details>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </section>
  );
}
