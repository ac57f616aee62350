// web/src/pages/Provisions: what intelligence was provided to whom (GET /api/provisions,
// ascending by time), optionally for one product or one recipient. No content, only the
// record: each row shows the sequence number of its provision.made ledger entry, so that the
// overseer can check it against the ledger. ProvisionTable is shared with a product's page.
import { useState } from 'preact/hooks';
import { formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { named, recipientClass } from '../labels.js';
import { pageOf } from '../routes.js';
import { Link } from '../components/Link.jsx';
import { ErrorNote, Loading } from '../components/Status.jsx';

// `linkProducts`: the product cell links to the product's page (roles that may open it).
export function ProvisionTable({ provisions, caption, linkProducts = false }) {
  const { t, lang } = useI18n();
  return (
    <table class="provisions">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t('provisions.col.seq')}</th>
          <th scope="col">{t('provisions.col.at')}</th>
          <th scope="col">{t('provisions.col.recipient')}</th>
          <th scope="col">{t('provisions.col.product')}</th>
          <th scope="col">{t('provisions.col.type')}</th>
          <th scope="col">{t('provisions.col.tier')}</th>
          <th scope="col">{t('provisions.col.legal_basis')}</th>
          <th scope="col">{t('provisions.col.purpose')}</th>
          <th scope="col">{t('provisions.col.provided_by')}</th>
        </tr>
      </thead>
      <tbody>
        {provisions.map((provision) => {
          const product = t('provisions.product_version', {
            id: provision.product_id,
            version: provision.product_version,
          });
          return (
            <tr key={provision.ledger_seq} data-seq={provision.ledger_seq}>
              <th scope="row" class="num" data-field="ledger_seq">
                {provision.ledger_seq}
              </th>
              <td class="time">{formatTime(provision.at, lang)}</td>
              <td>
                <code>{provision.recipient_id}</code>
                <br />
                {recipientClass(t, lang, provision)}
              </td>
              <td class="nowrap">
                {linkProducts ? (
                  <Link href={`/products/${encodeURIComponent(provision.product_id)}`}>{product}</Link>
                ) : (
                  product
                )}
              </td>
              <td>{named(t, 'provision_type', provision.type)}</td>
              <td>{named(t, 'tier', provision.tier)}</td>
              <td class="wrap">{provision.legal_basis}</td>
              <td>
                <code>{provision.purpose}</code>
              </td>
              <td>{provision.provided_by}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Filters({ filter, onApply }) {
  const { t } = useI18n();
  const [form, setForm] = useState(filter);
  const onText = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const submit = (event) => {
    event.preventDefault();
    onApply({ product: form.product.trim(), recipient: form.recipient.trim() });
  };
  const clear = () => {
    const empty = { product: '', recipient: '' };
    setForm(empty);
    onApply(empty);
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="provisions-filters">
      <h2 id="provisions-filters">{t('provisions.filters')}</h2>
      <div class="toolbar">
        <label for="provisions-product">{t('provisions.product')}</label>
        <input id="provisions-product" value={form.product} onInput={onText('product')} />
        <label for="provisions-recipient">{t('provisions.recipient')}</label>
        <input id="provisions-recipient" value={form.recipient} onInput={onText('recipient')} />
        <button type="submit">{t('provisions.apply')}</button>
        <button type="button" class="secondary" onClick={clear}>
          {t('provisions.clear')}
        </button>
      </div>
    </form>
  );
}

export function Provisions({ api, session }) {
  const { t } = useI18n();
  const [filter, setFilter] = useState({ product: '', recipient: '' });
  const query = new URLSearchParams();
  if (filter.product) query.set('product', filter.product);
  if (filter.recipient) query.set('recipient', filter.recipient);
  const path = query.toString() ? `/api/provisions?${query}` : '/api/provisions';
  const { data, error, loading } = useApiData(api, path);
  const provisions = data?.provisions ?? [];
  // Products link to their page for the roles that may open it (not the overseer).
  const linkProducts = pageOf('/products')?.roles.includes(session.role) ?? false;
  return (
    <section aria-labelledby="provisions-heading">
      <h1 id="provisions-heading">{t('provisions.heading')}</h1>
      <p class="hint">{t('provisions.hint')}</p>
      <Filters filter={filter} onApply={setFilter} />
      <ErrorNote error={error} />
      {loading && <Loading />}
      {data && provisions.length === 0 && <p>{t('provisions.none')}</p>}
      {provisions.length > 0 && (
        <div class="panel">
          <ProvisionTable
            provisions={provisions}
            caption={t('provisions.caption', { n: provisions.length })}
            linkProducts={linkProducts}
          />
        </div>
      )}
    </section>
  );
}
