// web/src/pages/Records: reading de-identified records through the I7 gate. The page first asks
// for a purpose (the configured ones from /api/purposes, or a stated one that the server may
// refuse); no request for records is made, and none are shown, until a purpose is given. A
// refusal from the server is shown with its text.
import { useState } from 'preact/hooks';
import { formatNumber, formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { ErrorNote, Loading } from '../components/Status.jsx';
import { categories } from '../components/StackedChart.jsx';

const other = '__other__';

// A purpose is an id string or {id, label_ja, label_en}.
function purposeOption(purpose, lang) {
  if (typeof purpose === 'string') return { id: purpose, label: purpose };
  const label = (lang === 'ja' ? purpose.label_ja : purpose.label_en) || purpose.id;
  return { id: purpose.id, label: label === purpose.id ? label : `${label} (${purpose.id})` };
}

const endpoint = (side) => (side ? `${side.ip ?? ''}${side.port ? `:${side.port}` : ''}` : '');
const totalBytes = (bytes) => (bytes ? (bytes.fwd ?? 0) + (bytes.rev ?? 0) : undefined);
const rulesOf = (record) => [...new Set((record.matches ?? []).map((m) => m.rule))].join(', ');
const toRfc3339 = (local) => (local ? new Date(local).toISOString() : '');

function RecordTable({ rows }) {
  const { t, lang } = useI18n();
  return (
    <table class="records">
      <thead>
        <tr>
          <th scope="col">{t('records.col.id')}</th>
          <th scope="col">{t('records.col.time')}</th>
          <th scope="col">{t('records.col.category')}</th>
          <th scope="col">{t('records.col.rule')}</th>
          <th scope="col">{t('records.col.src')}</th>
          <th scope="col">{t('records.col.dst')}</th>
          <th scope="col">{t('records.col.proto')}</th>
          <th scope="col">{t('records.col.bytes')}</th>
          <th scope="col">{t('common.details')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ id, record }) => (
          <tr key={id}>
            <td>{id}</td>
            <td class="time">{formatTime(record.first_seen, lang)}</td>
            <td>{record.category}</td>
            <td>
              <code>{rulesOf(record)}</code>
            </td>
            <td>
              <code>{endpoint(record.src)}</code>
            </td>
            <td>
              <code>{endpoint(record.dst)}</code>
            </td>
            <td>{record.proto}</td>
            <td class="num">{formatNumber(totalBytes(record.bytes), lang)}</td>
            <td>
              <details>
                <summary>{t('common.details')}</summary>
                <pre>{JSON.stringify(record, null, 2)}</pre>
              </details>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Records({ api }) {
  const { t, lang } = useI18n();
  const purposes = useApiData(api, '/api/purposes');
  const [choice, setChoice] = useState('');
  const [statement, setStatement] = useState('');
  const [filters, setFilters] = useState({ category: '', rule: '', since: '', until: '', limit: 50 });
  const [result, setResult] = useState(null); // {purpose, query, rows, next}
  const [refusal, setRefusal] = useState(null);
  const [needPurpose, setNeedPurpose] = useState(false);
  const [busy, setBusy] = useState(false);

  const purpose = choice === other ? statement.trim() : choice;
  const setFilter = (name) => (event) =>
    setFilters({ ...filters, [name]: event.currentTarget.value });

  const fetchPage = async (query, after, previous) => {
    setBusy(true);
    setRefusal(null);
    try {
      const params = new URLSearchParams(query);
      if (after !== undefined && after !== null) params.set('after', String(after));
      const page = await api.get(`/api/records?${params}`);
      setResult({
        purpose: query.purpose,
        query,
        rows: [...(previous ?? []), ...(page.records ?? [])],
        next: page.next_after ?? null,
      });
    } catch (error) {
      setResult(null);
      if (error.code === 'purpose_required') setNeedPurpose(true);
      else setRefusal(error);
    } finally {
      setBusy(false);
    }
  };

  const submit = (event) => {
    event.preventDefault();
    if (!purpose) {
      setNeedPurpose(true);
      setResult(null);
      return;
    }
    setNeedPurpose(false);
    const query = { purpose };
    if (filters.category) query.category = filters.category;
    if (filters.rule.trim()) query.rule = filters.rule.trim();
    if (filters.since) query.since = toRfc3339(filters.since);
    if (filters.until) query.until = toRfc3339(filters.until);
    if (filters.limit) query.limit = String(filters.limit);
    fetchPage(query);
  };

  return (
    <section aria-labelledby="records-heading">
      <h1 id="records-heading">{t('records.heading')}</h1>
      <ErrorNote error={purposes.error} />
      {purposes.loading && <Loading />}
      {purposes.data && (
        <form class="records-form" onSubmit={submit} noValidate>
          <fieldset class="purpose">
            <legend>{t('records.purpose_legend')}</legend>
            <p id="purpose-prompt" class={needPurpose ? 'prompt needed' : 'prompt'} role="note">
              {t('records.purpose_prompt')}
            </p>
            <div class="grid">
              <label for="records-purpose">{t('records.purpose')}</label>
              <select
                id="records-purpose"
                required
                aria-describedby="purpose-prompt"
                aria-invalid={needPurpose ? 'true' : undefined}
                value={choice}
                onChange={(e) => setChoice(e.currentTarget.value)}
              >
                <option value="">{t('records.purpose_choose')}</option>
                {(purposes.data.purposes ?? []).map((p) => {
                  const option = purposeOption(p, lang);
                  return (
                    <option key={option.id} value={option.id}>
                      {option.label}
                    </option>
                  );
                })}
                <option value={other}>{t('records.purpose_other')}</option>
              </select>
              {choice === other && (
                <>
                  <label for="records-statement">{t('records.purpose_text')}</label>
                  <input
                    id="records-statement"
                    required
                    value={statement}
                    onInput={(e) => setStatement(e.currentTarget.value)}
                  />
                </>
              )}
            </div>
          </fieldset>
          <fieldset class="filters">
            <legend>{t('records.filters')}</legend>
            <div class="grid">
              <label for="records-category">{t('records.category')}</label>
              <select id="records-category" value={filters.category} onChange={setFilter('category')}>
                <option value="">{t('records.any')}</option>
                {categories.map((c) => (
                  <option key={c} value={c}>
                    {t(`category.${c}`)}
                  </option>
                ))}
              </select>
              <label for="records-rule">{t('records.rule')}</label>
              <input id="records-rule" value={filters.rule} onInput={setFilter('rule')} />
              <label for="records-since">{t('records.since')}</label>
              <input
                id="records-since"
                type="datetime-local"
                value={filters.since}
                onInput={setFilter('since')}
              />
              <label for="records-until">{t('records.until')}</label>
              <input
                id="records-until"
                type="datetime-local"
                value={filters.until}
                onInput={setFilter('until')}
              />
              <label for="records-limit">{t('records.limit')}</label>
              <input
                id="records-limit"
                type="number"
                min="1"
                max="1000"
                value={filters.limit}
                onInput={setFilter('limit')}
              />
            </div>
          </fieldset>
          <button type="submit" disabled={busy}>
            {t('records.search')}
          </button>
        </form>
      )}
      <ErrorNote error={refusal} title={t('records.refused')} />
      {busy && <Loading />}
      {result && (
        <section class="panel" aria-live="polite" aria-labelledby="records-shown">
          <p id="records-shown">
            {t('records.shown', { n: result.rows.length, purpose: result.purpose })}
          </p>
          {result.rows.length === 0 ? (
            <p>{t('records.none')}</p>
          ) : (
            <RecordTable rows={result.rows} />
          )}
          {result.next !== null && (
            <button
              type="button"
              disabled={busy}
              onClick={() => fetchPage(result.query, result.next, result.rows)}
            >
              {t('records.more')}
            </button>
          )}
        </section>
      )}
    </section>
  );
}
