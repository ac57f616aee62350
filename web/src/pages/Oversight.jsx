// web/src/pages/Oversight: the overseer's view of the ledger — the latest signed tree head,
// "verify now" (POST /api/oversight/verify starts a job; its progress is polled from
// /api/jobs/{id} until done or failed) and the inspection report download. Admins see the head.
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatNumber, formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { ErrorNote, Loading } from '../components/Status.jsx';

const pollInterval = 500;

function Head({ head }) {
  const { t, lang } = useI18n();
  return (
    <dl class="facts head">
      <div>
        <dt>{t('head.size')}</dt>
        <dd data-field="size">{formatNumber(head.size, lang)}</dd>
      </div>
      <div>
        <dt>{t('head.root')}</dt>
        <dd>
          <code class="hash">{head.root}</code>
        </dd>
      </div>
      <div>
        <dt>{t('head.signed_at')}</dt>
        <dd>{formatTime(head.signed_at, lang)}</dd>
      </div>
      <div>
        <dt>{t('head.signature')}</dt>
        <dd>
          <code class="hash">{head.signature}</code>
        </dd>
      </div>
      <div>
        <dt>{t('head.public_key')}</dt>
        <dd>
          <code class="hash">{head.public_key}</code>
        </dd>
      </div>
    </dl>
  );
}

function resultValue(value, t) {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value) && value.length === 0) return t('common.none');
  if (typeof value === 'object') return <pre>{JSON.stringify(value, null, 2)}</pre>;
  return String(value);
}

function Verification({ api }) {
  const { t } = useI18n();
  const [job, setJob] = useState(null); // {id, state, progress, result}
  const [error, setError] = useState(null);
  const timer = useRef(0);
  useEffect(() => () => clearTimeout(timer.current), []);

  const poll = async (id) => {
    try {
      const status = await api.get(`/api/jobs/${encodeURIComponent(id)}`);
      setJob({ id, ...status });
      if (status.state === 'running') timer.current = setTimeout(() => poll(id), pollInterval);
    } catch (failure) {
      setError(failure);
      setJob((current) => current && { ...current, state: 'failed' });
    }
  };

  const start = async () => {
    clearTimeout(timer.current);
    setError(null);
    try {
      const started = await api.post('/api/oversight/verify');
      setJob({ id: started.job, state: 'running', progress: 0 });
      poll(started.job);
    } catch (failure) {
      setError(failure);
    }
  };

  const running = job?.state === 'running';
  const pct = Math.round((job?.progress ?? 0) * 100);
  return (
    <section class="panel" aria-labelledby="verify-heading">
      <h2 id="verify-heading">{t('oversight.verify_heading')}</h2>
      <button type="button" onClick={start} disabled={running}>
        {t('oversight.verify')}
      </button>
      <ErrorNote error={error} />
      {job && (
        <div class="job" data-state={job.state} aria-live="polite">
          <label for="verify-progress">{t('oversight.progress')}</label>
          <progress id="verify-progress" max="100" value={pct}>
            {pct}%
          </progress>
          <p role="status">
            {job.state === 'running' && t('oversight.running', { pct })}
            {job.state === 'done' && t('oversight.done')}
            {job.state === 'failed' && t('oversight.failed')}
          </p>
          {job.result && (
            <>
              <h3>{t('oversight.result')}</h3>
              {typeof job.result.intact === 'boolean' && (
                <p
                  class={job.result.intact ? 'verdict ok' : 'verdict bad'}
                  role={job.result.intact ? undefined : 'alert'}
                >
                  {job.result.intact ? t('oversight.intact') : t('oversight.broken')}
                </p>
              )}
              <dl class="facts result">
                {Object.entries(job.result).map(([name, value]) => (
                  <div key={name}>
                    <dt>{name}</dt>
                    <dd>{resultValue(value, t)}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
        </div>
      )}
    </section>
  );
}

export function Oversight({ api, session }) {
  const { t } = useI18n();
  const { data, error, loading } = useApiData(api, '/api/oversight/head');
  const isOverseer = session.role === 'overseer';
  return (
    <section aria-labelledby="oversight-heading">
      <h1 id="oversight-heading">{t('oversight.heading')}</h1>
      <section class="panel" aria-labelledby="head-heading">
        <h2 id="head-heading">{t('oversight.head')}</h2>
        <ErrorNote error={error} />
        {loading && <Loading />}
        {data && (data.root ? <Head head={data} /> : <p>{t('oversight.no_head')}</p>)}
      </section>
      {isOverseer && <Verification api={api} />}
      {isOverseer && (
        <section class="panel" aria-labelledby="report-heading">
          <h2 id="report-heading">{t('oversight.report_heading')}</h2>
          <a class="button" href="/api/oversight/report" download>
            {t('oversight.report')}
          </a>
        </section>
      )}
    </section>
  );
}
