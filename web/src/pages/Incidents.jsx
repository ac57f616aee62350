// web/src/pages/Incidents: incident reports (特定侵害事象等の報告). Operators file a first report
// (速報) with the minimal fields and see its deadlines at once, and add 続報/確報 to their
// incidents; analysts and admins see the list. Report bodies are mamori-incident-report-v1
// (registry/incidents.h): phase, reporter, organisation_id, detected_at, known, ….
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { ErrorNote, Loading } from '../components/Status.jsx';

const phases = ['first', 'interim', 'final'];
const commaList = (text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
// "ip 192.0.2.1" per line → {type, value}.
const indicatorList = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [type, ...rest] = line.split(/\s+/);
      return { type, value: rest.join(' ') };
    });
// The current time for a datetime-local input (local time, minutes).
function localNow() {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}
const toRfc3339 = (local) => new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');

function phaseLabel(t, phase) {
  return phases.includes(phase) ? t(`phase.${phase}`) : phase;
}

function Deadlines({ deadlines }) {
  const { t, lang } = useI18n();
  // In the order of the phases (the server's JSON object has its keys sorted by name).
  const rank = (name) => (phases.includes(name) ? phases.indexOf(name) : phases.length);
  const entries = Object.entries(deadlines ?? {}).sort(([a], [b]) => rank(a) - rank(b));
  if (entries.length === 0) return <span>—</span>;
  return (
    <dl class="deadlines">
      {entries.map(([name, due]) => (
        <div key={name}>
          <dt>{phases.includes(name) ? t(`deadline.${name}`) : name}</dt>
          <dd>
            <time datetime={String(due)}>{formatTime(due, lang)}</time>
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Field({ id, label, children }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

// The organisation to report for: a choice when the session names the operator's
// organisations, else typed.
function OrganisationField({ id, value, onInput, organisations }) {
  const { t } = useI18n();
  return (
    <Field id={id} label={t('incidents.organisation')}>
      {organisations.length > 0 ? (
        <select id={id} required value={value} onChange={(e) => onInput(e.currentTarget.value)}>
          {organisations.map((org) => (
            <option key={org} value={org}>
              {org}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} required value={value} onInput={(e) => onInput(e.currentTarget.value)} />
      )}
    </Field>
  );
}

function FirstReportForm({ api, organisations, onFiled }) {
  const { t } = useI18n();
  const [form, setForm] = useState({
    organisation: organisations[0] ?? '',
    reporter: '',
    detected_at: localNow(),
    known: '',
    affected: '',
  });
  const [error, setError] = useState(null);
  const [filed, setFiled] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  const onText = (name) => (event) => set(name)(event.currentTarget.value);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await api.post('/api/incidents', {
        phase: 'first',
        organisation_id: form.organisation.trim(),
        reporter: form.reporter.trim(),
        detected_at: toRfc3339(form.detected_at),
        known: form.known.trim(),
        affected_computers: commaList(form.affected),
      });
      const incident = response.incident ?? {};
      setFiled({ id: incident.id, deadlines: response.deadlines ?? incident.deadlines });
      setForm({ ...form, known: '', affected: '' });
      onFiled();
    } catch (failure) {
      setFiled(null);
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="first-heading">
      <h2 id="first-heading">{t('incidents.first_heading')}</h2>
      <p class="hint">{t('incidents.first_hint')}</p>
      <form class="incident-form" onSubmit={submit}>
        <OrganisationField
          id="first-organisation"
          value={form.organisation}
          onInput={set('organisation')}
          organisations={organisations}
        />
        <Field id="first-reporter" label={t('incidents.reporter')}>
          <input id="first-reporter" required value={form.reporter} onInput={onText('reporter')} />
        </Field>
        <Field id="first-detected" label={t('incidents.detected_at')}>
          <input
            id="first-detected"
            type="datetime-local"
            required
            value={form.detected_at}
            onInput={onText('detected_at')}
          />
        </Field>
        <Field id="first-known" label={t('incidents.known')}>
          <textarea id="first-known" required rows="3" value={form.known} onInput={onText('known')} />
        </Field>
        <Field id="first-affected" label={t('incidents.affected')}>
          <input id="first-affected" value={form.affected} onInput={onText('affected')} />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {t('incidents.submit_first')}
        </button>
      </form>
      {filed && (
        <div class="filed" role="status" aria-live="polite">
          <p>{t('incidents.filed', { id: filed.id ?? '' })}</p>
          <h3>{t('incidents.deadlines')}</h3>
          <Deadlines deadlines={filed.deadlines} />
        </div>
      )}
    </section>
  );
}

function FollowUpForm({ api, incident, onDone, onCancel }) {
  const { t } = useI18n();
  const [form, setForm] = useState({
    phase: 'interim',
    reporter: '',
    detected_at: '',
    known: '',
    cause: '',
    service_impact: '',
    techniques: '',
    indicators: '',
    measures: '',
  });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const onText = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const final = form.phase === 'final';

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const report = {
      phase: form.phase,
      organisation_id: incident.organisation,
      reporter: form.reporter.trim(),
    };
    if (form.known.trim()) report.known = form.known.trim();
    if (form.detected_at) report.detected_at = toRfc3339(form.detected_at);
    if (final) {
      report.cause = form.cause.trim();
      report.service_impact = form.service_impact.trim();
      report.techniques = commaList(form.techniques);
      report.indicators = indicatorList(form.indicators);
      report.measures = form.measures.trim();
    }
    try {
      await api.post(`/api/incidents/${encodeURIComponent(incident.id)}/reports`, report);
      onDone(t('incidents.report_filed', { phase: t(`phase.${form.phase}`), id: incident.id }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const prefix = `followup-${incident.id}`;
  return (
    <form class="incident-form followup" onSubmit={submit} aria-labelledby={`${prefix}-heading`}>
      <h3 id={`${prefix}-heading`}>{t('incidents.followup_heading', { id: incident.id })}</h3>
      <Field id={`${prefix}-phase`} label={t('incidents.phase')}>
        <select id={`${prefix}-phase`} value={form.phase} onChange={onText('phase')}>
          <option value="interim">{t('phase.interim')}</option>
          <option value="final">{t('phase.final')}</option>
        </select>
      </Field>
      <Field id={`${prefix}-reporter`} label={t('incidents.reporter')}>
        <input id={`${prefix}-reporter`} required value={form.reporter} onInput={onText('reporter')} />
      </Field>
      {final && <p class="hint">{t('incidents.final_hint')}</p>}
      {final && (
        <Field id={`${prefix}-detected`} label={t('incidents.detected_at')}>
          <input
            id={`${prefix}-detected`}
            type="datetime-local"
            required
            value={form.detected_at}
            onInput={onText('detected_at')}
          />
        </Field>
      )}
      <Field id={`${prefix}-known`} label={t('incidents.known')}>
        <textarea
          id={`${prefix}-known`}
          rows="3"
          required={final}
          value={form.known}
          onInput={onText('known')}
        />
      </Field>
      {final && (
        <>
          <Field id={`${prefix}-cause`} label={t('incidents.cause')}>
            <textarea id={`${prefix}-cause`} required rows="2" value={form.cause} onInput={onText('cause')} />
          </Field>
          <Field id={`${prefix}-impact`} label={t('incidents.service_impact')}>
            <textarea
              id={`${prefix}-impact`}
              required
              rows="2"
              value={form.service_impact}
              onInput={onText('service_impact')}
            />
          </Field>
          <Field id={`${prefix}-techniques`} label={t('incidents.techniques')}>
            <input
              id={`${prefix}-techniques`}
              required
              value={form.techniques}
              onInput={onText('techniques')}
            />
          </Field>
          <Field id={`${prefix}-indicators`} label={t('incidents.indicators')}>
            <textarea
              id={`${prefix}-indicators`}
              required
              rows="3"
              value={form.indicators}
              onInput={onText('indicators')}
            />
          </Field>
          <Field id={`${prefix}-measures`} label={t('incidents.measures')}>
            <textarea
              id={`${prefix}-measures`}
              required
              rows="2"
              value={form.measures}
              onInput={onText('measures')}
            />
          </Field>
        </>
      )}
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('incidents.submit_report')}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function IncidentTable({ api, incidents, canReport, onChanged }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState('');
  const [done, setDone] = useState('');
  return (
    <>
      {done && (
        <p class="filed" role="status">
          {done}
        </p>
      )}
      <table class="incidents">
        <thead>
          <tr>
            <th scope="col">{t('incidents.col.id')}</th>
            <th scope="col">{t('incidents.col.organisation')}</th>
            <th scope="col">{t('incidents.col.opened_at')}</th>
            <th scope="col">{t('incidents.col.phase')}</th>
            <th scope="col">{t('incidents.col.deadlines')}</th>
            <th scope="col">{t('incidents.col.status')}</th>
            <th scope="col">{t('incidents.col.summary')}</th>
            {canReport && <th scope="col">{t('incidents.col.actions')}</th>}
          </tr>
        </thead>
        <tbody>
          {incidents.map((incident) => (
            <Fragment key={incident.id}>
              <tr data-incident={incident.id}>
                <td class="nowrap">{incident.id}</td>
                <td class="nowrap">{incident.organisation}</td>
                <td class="time">{formatTime(incident.opened_at, lang)}</td>
                <td>{phaseLabel(t, incident.phase)}</td>
                <td>
                  <Deadlines deadlines={incident.deadlines} />
                </td>
                <td>
                  <span class={incident.overdue ? 'badge overdue' : 'badge'}>
                    {incident.overdue ? t('incidents.overdue') : t('incidents.on_time')}
                  </span>
                </td>
                <td class="wrap">{incident.summary}</td>
                {canReport && (
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      aria-expanded={open === incident.id ? 'true' : 'false'}
                      onClick={() => {
                        setDone('');
                        setOpen(open === incident.id ? '' : incident.id);
                      }}
                    >
                      {t('incidents.add_report')}
                    </button>
                  </td>
                )}
              </tr>
              {canReport && open === incident.id && (
                <tr class="form-row">
                  <td colSpan={8}>
                    <FollowUpForm
                      api={api}
                      incident={incident}
                      onCancel={() => setOpen('')}
                      onDone={(text) => {
                        setOpen('');
                        setDone(text);
                        onChanged();
                      }}
                    />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function Incidents({ api, session }) {
  const { t } = useI18n();
  const { data, error, loading, reload } = useApiData(api, '/api/incidents');
  const isOperator = session.role === 'operator';
  const incidents = data?.incidents ?? [];
  // The operator's organisations: from the session when the server gives them, else the
  // organisations of its incidents so far.
  const organisations = Array.isArray(session.organisations)
    ? session.organisations
    : [...new Set(incidents.map((incident) => incident.organisation).filter(Boolean))];

  return (
    <section aria-labelledby="incidents-heading">
      <h1 id="incidents-heading">{t('incidents.heading')}</h1>
      {isOperator && (data || error) && (
        <FirstReportForm
          api={api}
          organisations={organisations}
          onFiled={reload}
        />
      )}
      <section class="panel" aria-labelledby="incidents-list">
        <h2 id="incidents-list">{t('incidents.list')}</h2>
        <ErrorNote error={error} />
        {loading && !data && <Loading />}
        {data && incidents.length === 0 && <p>{t('incidents.none')}</p>}
        {incidents.length > 0 && (
          <IncidentTable api={api} incidents={incidents} canReport={isOperator} onChanged={reload} />
        )}
      </section>
    </section>
  );
}
