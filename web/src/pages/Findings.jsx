// web/src/pages/Findings: the latest analysis run's findings (GET /api/findings) and one
// finding with its infrastructure graph (GET /api/findings/{id}).
import { formatNumber, formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { Link } from '../components/Link.jsx';
import { ErrorNote, Loading } from '../components/Status.jsx';
import { InfrastructureGraph } from '../components/InfrastructureGraph.jsx';

const detectorOf = (finding) => finding.detector ?? finding.kind ?? '';
const summaryOf = (finding) => finding.summary ?? finding.subject ?? '';
const isTimeField = (name) => name.endsWith('_seen') || name.endsWith('_at');

export function Findings({ api }) {
  const { t, lang } = useI18n();
  const { data, error, loading } = useApiData(api, '/api/findings');
  const findings = data?.findings ?? [];
  return (
    <section aria-labelledby="findings-heading">
      <h1 id="findings-heading">{t('findings.heading')}</h1>
      <ErrorNote error={error} />
      {loading && <Loading />}
      {data && findings.length === 0 && <p>{t('findings.none')}</p>}
      {findings.length > 0 && (
        <table class="findings">
          <thead>
            <tr>
              <th scope="col">{t('findings.col.id')}</th>
              <th scope="col">{t('findings.col.detector')}</th>
              <th scope="col">{t('findings.col.score')}</th>
              <th scope="col">{t('findings.col.first_seen')}</th>
              <th scope="col">{t('findings.col.last_seen')}</th>
              <th scope="col">{t('findings.col.summary')}</th>
            </tr>
          </thead>
          <tbody>
            {findings.map((finding) => (
              <tr key={finding.id}>
                <td>
                  <Link href={`/findings/${encodeURIComponent(finding.id)}`}>{finding.id}</Link>
                </td>
                <td>{detectorOf(finding)}</td>
                <td class="num">{formatNumber(finding.score, lang)}</td>
                <td class="time">{formatTime(finding.first_seen, lang)}</td>
                <td class="time">{formatTime(finding.last_seen, lang)}</td>
                <td class="wrap">{summaryOf(finding)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// The finding's own fields first, in this order and with their names translated; anything
// else the server sends follows under its JSON name.
const knownFacts = {
  id: 'findings.col.id',
  detector: 'findings.col.detector',
  kind: 'findings.col.detector',
  subject: 'finding.subject',
  summary: 'findings.col.summary',
  score: 'findings.col.score',
  confidence: 'finding.confidence',
  records: 'finding.records',
  evidence_total: 'finding.records',
  first_seen: 'findings.col.first_seen',
  last_seen: 'findings.col.last_seen',
};

function Facts({ finding }) {
  const { t, lang } = useI18n();
  const simple = Object.entries(finding).filter(
    ([, value]) => value === null || typeof value !== 'object',
  );
  const order = Object.keys(knownFacts);
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  simple.sort(([a], [b]) => rank(a) - rank(b));
  const details = Array.isArray(finding.details) ? finding.details : [];
  const show = (name, value) =>
    isTimeField(name)
      ? formatTime(value, lang)
      : typeof value === 'number'
        ? formatNumber(value, lang)
        : String(value);
  return (
    <dl class="facts">
      {simple.map(([name, value]) => (
        <div key={name}>
          <dt>{name in knownFacts ? t(knownFacts[name]) : name}</dt>
          <dd>{show(name, value)}</dd>
        </div>
      ))}
      {details.map((detail) => (
        <div key={`d-${detail.name}`}>
          <dt>{detail.name}</dt>
          <dd>{detail.text ?? formatNumber(detail.number, lang)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Finding({ api, id }) {
  const { t } = useI18n();
  const { data, error, loading } = useApiData(api, `/api/findings/${encodeURIComponent(id)}`);
  return (
    <section aria-labelledby="finding-heading">
      <p>
        <Link href="/findings">← {t('finding.back')}</Link>
      </p>
      <h1 id="finding-heading">{t('finding.heading', { id })}</h1>
      <ErrorNote error={error} />
      {loading && <Loading />}
      {data && (
        <>
          <section class="panel" aria-labelledby="finding-facts">
            <h2 id="finding-facts">{t('finding.facts')}</h2>
            <Facts finding={data.finding ?? {}} />
          </section>
          <section class="panel" aria-labelledby="finding-graph">
            <h2 id="finding-graph">{t('finding.graph')}</h2>
            <InfrastructureGraph graph={data.graph} />
          </section>
        </>
      )}
    </section>
  );
}
