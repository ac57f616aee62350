// web/src/pages/Computers: the important computers (重要電子計算機) filed in the registry
// (GET /api/computers), one table per organisation with its name and CI sectors, and a choice
// of one organisation. Operators get only their own organisations from the server, the
// government roles all of them; the page shows what it is given.
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { named } from '../labels.js';
import { ErrorNote, Loading } from '../components/Status.jsx';

const organisationName = (organisation, lang) =>
  (lang === 'en' ? organisation.name_en || organisation.name : organisation.name || organisation.name_en) ||
  organisation.id;

// The organisations with their computers, in the server's order; computers of an organisation
// the list does not name still show, under their organisation id.
function groups(data) {
  const organisations = (data?.organisations ?? []).map((organisation) => ({
    organisation,
    computers: [],
  }));
  const byId = new Map(organisations.map((group) => [group.organisation.id, group]));
  for (const computer of data?.computers ?? []) {
    let group = byId.get(computer.organisation_id);
    if (!group) {
      group = { organisation: { id: computer.organisation_id }, computers: [] };
      byId.set(computer.organisation_id, group);
      organisations.push(group);
    }
    group.computers.push(computer);
  }
  return organisations;
}

function ManagedBy({ computer }) {
  const { t } = useI18n();
  if (computer.managed_by === 'contractor') {
    return computer.contractor
      ? t('computers.managed.contractor', { name: computer.contractor })
      : t('computers.managed.unnamed');
  }
  if (computer.managed_by === 'operator') return t('computers.managed.operator');
  return computer.managed_by ?? '—';
}

function OrganisationComputers({ organisation, computers }) {
  const { t, lang } = useI18n();
  const name = organisationName(organisation, lang);
  const headingId = `org-${organisation.id}`;
  const sectors = (organisation.ci_sectors ?? []).map((code) => named(t, 'sector', code));
  return (
    <section class="panel" aria-labelledby={headingId} data-organisation={organisation.id}>
      <h2 id={headingId}>{t('computers.org_heading', { name, id: organisation.id })}</h2>
      {sectors.length > 0 && (
        <dl class="facts">
          <div>
            <dt>{t('computers.sectors')}</dt>
            <dd>{sectors.join(lang === 'ja' ? '、' : ', ')}</dd>
          </div>
        </dl>
      )}
      {computers.length === 0 ? (
        <p>{t('computers.org_none')}</p>
      ) : (
        <table class="computers">
          <caption>{t('computers.caption', { name, n: computers.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('computers.col.id')}</th>
              <th scope="col">{t('computers.col.category')}</th>
              <th scope="col">{t('computers.col.product')}</th>
              <th scope="col">{t('computers.col.cpe')}</th>
              <th scope="col">{t('computers.col.internet_facing')}</th>
              <th scope="col">{t('computers.col.managed_by')}</th>
              <th scope="col">{t('computers.col.note')}</th>
            </tr>
          </thead>
          <tbody>
            {computers.map((computer) => (
              <tr key={computer.id} data-computer={computer.id}>
                <th scope="row" class="nowrap">
                  <code>{computer.id}</code>
                </th>
                <td>{named(t, 'device', computer.category)}</td>
                <td>{[computer.vendor, computer.product, computer.version].filter(Boolean).join(' ')}</td>
                <td>{computer.cpe ? <code class="hash">{computer.cpe}</code> : '—'}</td>
                <td class="nowrap">
                  {computer.internet_facing ? (
                    <span class="badge overdue">{t('computers.facing')}</span>
                  ) : (
                    t('computers.not_facing')
                  )}
                </td>
                <td>
                  <ManagedBy computer={computer} />
                </td>
                <td class="wrap">{computer.note || ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function Computers({ api }) {
  const { t, lang } = useI18n();
  const { data, error, loading } = useApiData(api, '/api/computers');
  const [chosen, setChosen] = useState('');
  const all = groups(data);
  const shown = chosen ? all.filter((group) => group.organisation.id === chosen) : all;
  const total = (data?.computers ?? []).length;
  return (
    <section aria-labelledby="computers-heading">
      <h1 id="computers-heading">{t('computers.heading')}</h1>
      <ErrorNote error={error} />
      {loading && <Loading />}
      {data && total === 0 && <p>{t('computers.none')}</p>}
      {all.length > 1 && (
        <div class="toolbar">
          <label for="computers-organisation">{t('computers.filter')}</label>
          <select
            id="computers-organisation"
            value={chosen}
            onChange={(e) => setChosen(e.currentTarget.value)}
          >
            <option value="">{t('computers.all')}</option>
            {all.map(({ organisation }) => (
              <option key={organisation.id} value={organisation.id}>
                {t('computers.org_heading', { name: organisationName(organisation, lang), id: organisation.id })}
              </option>
            ))}
          </select>
        </div>
      )}
      {total > 0 &&
        shown.map((group) => (
          <OrganisationComputers
            key={group.organisation.id}
            organisation={group.organisation}
            computers={group.computers}
          />
        ))}
    </section>
  );
}
