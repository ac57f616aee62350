// web/src/pages/Notices: vulnerability notices for the operator's organisations, in the
// server's urgency order (GET /api/notices), and warnings drawn from other operators' incident
// reports (which name neither the reporting organisation nor its report text). The server
// groups notices per organisation ({organisation_id, notices: [...]}); flat lists work too.
import { formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { ErrorNote, Loading } from '../components/Status.jsx';

function flatten(list) {
  const rows = [];
  for (const item of list ?? []) {
    if (Array.isArray(item.notices)) {
      for (const notice of item.notices) {
        rows.push({ organisation_id: item.organisation_id, ...notice });
      }
    } else rows.push(item);
  }
  return rows;
}

const joined = (list) => (Array.isArray(list) ? list.join(', ') : '');

function Warnings({ warnings }) {
  const { t, lang } = useI18n();
  return (
    <section class="panel" aria-labelledby="warnings-heading">
      <h2 id="warnings-heading">{t('notices.warnings')}</h2>
      {warnings.length === 0 ? (
        <p>{t('common.none')}</p>
      ) : (
        <table class="warnings">
          <thead>
            <tr>
              <th scope="col">{t('notices.col.organisation')}</th>
              <th scope="col">{t('warnings.col.detected_at')}</th>
              <th scope="col">{t('warnings.col.sectors')}</th>
              <th scope="col">{t('warnings.col.products')}</th>
              <th scope="col">{t('warnings.col.indicators')}</th>
              <th scope="col">{t('warnings.col.techniques')}</th>
              <th scope="col">{t('warnings.col.observations')}</th>
            </tr>
          </thead>
          <tbody>
            {warnings.map((warning, i) => (
              <tr key={`${warning.incident_ref}-${warning.organisation_id}-${i}`}>
                <td class="nowrap">{warning.organisation_id}</td>
                <td class="time">{formatTime(warning.detected_at, lang)}</td>
                <td>{joined(warning.sectors)}</td>
                <td>{joined(warning.products)}</td>
                <td>
                  <ul class="reasons">
                    {(warning.indicators ?? []).map((indicator) => (
                      <li key={`${indicator.type}:${indicator.value}`}>
                        {indicator.type} <code>{indicator.value}</code>
                        {indicator.uncertain && ` (${t('warnings.uncertain')})`}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{joined(warning.techniques)}</td>
                <td class="num">{warning.observations ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Notices({ api }) {
  const { t, lang } = useI18n();
  const { data, error, loading } = useApiData(api, '/api/notices');
  const rows = flatten(data?.notices);
  return (
    <section aria-labelledby="notices-heading">
      <h1 id="notices-heading">{t('notices.heading')}</h1>
      <ErrorNote error={error} />
      {loading && <Loading />}
      {data && rows.length === 0 && <p>{t('notices.none')}</p>}
      {rows.length > 0 && (
        <div class="panel">
          <table class="notices">
            <thead>
              <tr>
                <th scope="col">{t('notices.col.organisation')}</th>
                <th scope="col">{t('notices.col.computer')}</th>
                <th scope="col">{t('notices.col.vulnerability')}</th>
                <th scope="col">{t('notices.col.product')}</th>
                <th scope="col">{t('notices.col.reasons')}</th>
                <th scope="col">{t('notices.col.action')}</th>
                <th scope="col">{t('notices.col.due')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((notice, i) => (
                <tr key={`${notice.computer_id}-${notice.vulnerability_id}-${i}`}>
                  <td class="nowrap">{notice.organisation_id}</td>
                  <td class="nowrap">
                    <code>{notice.computer_id}</code>
                  </td>
                  <td>
                    <strong>{notice.vulnerability_id}</strong> {notice.vulnerability_name}
                    {notice.embargoed && <span class="badge overdue">{t('notices.embargoed')}</span>}
                  </td>
                  <td>
                    {[notice.vendor, notice.product, notice.computer_version].filter(Boolean).join(' ')}
                  </td>
                  <td>
                    <ul class="reasons">
                      {(notice.reasons ?? []).map((reason) => (
                        <li key={reason.code ?? reason}>
                          {typeof reason === 'string' ? reason : lang === 'ja' ? reason.ja : reason.en}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td class="wrap">{notice.required_action}</td>
                  <td class="nowrap">{notice.due_date || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && Array.isArray(data.warnings) && <Warnings warnings={data.warnings} />}
    </section>
  );
}
