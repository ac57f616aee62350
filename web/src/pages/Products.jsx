// web/src/pages/Products: intelligence products (総合整理分析情報). The list holds the latest
// version of each product (GET /api/products); a product's page (GET /api/products/{id}, any
// earlier version with ?version=N, chosen from its history) shows the stored T1 product whole — its facts, the audience notes (those in the display language
// first), the labelled parts — with its versions and the provisions made of it. Analysts and
// admins only: T1 holds what no other tier may.
import { useState } from 'preact/hooks';
import { formatTime, useI18n } from '../i18n.js';
import { useApiData } from '../useApiData.js';
import { named } from '../labels.js';
import { Link } from '../components/Link.jsx';
import { ErrorNote, Loading } from '../components/Status.jsx';
import { ProvisionTable } from './Provisions.jsx';

export function Products({ api }) {
  const { t, lang } = useI18n();
  const { data, error, loading } = useApiData(api, '/api/products');
  const products = data?.products ?? [];
  return (
    <section aria-labelledby="products-heading">
      <h1 id="products-heading">{t('products.heading')}</h1>
      <ErrorNote error={error} />
      {loading && <Loading />}
      {data && products.length === 0 && <p>{t('products.none')}</p>}
      {products.length > 0 && (
        <div class="panel">
          <table class="products">
            <caption>{t('products.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('products.col.id')}</th>
                <th scope="col">{t('products.col.version')}</th>
                <th scope="col">{t('products.col.title')}</th>
                <th scope="col">{t('products.col.author')}</th>
                <th scope="col">{t('products.col.created_at')}</th>
              </tr>
            </thead>
            <tbody>
              {products.map((product) => (
                <tr key={product.id} data-product={product.id}>
                  <td class="nowrap">
                    <Link href={`/products/${encodeURIComponent(product.id)}`}>{product.id}</Link>
                  </td>
                  <td class="num">{product.version}</td>
                  <td class="wrap">{product.title}</td>
                  <td>{product.author}</td>
                  <td class="time">{formatTime(product.created_at, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

// Provenance labels ({comm_info, shareable, secret, providers:[{organisation, …}]}) as badges;
// a label the tiers restrict (comm_info, secret) stands out.
function Labels({ labels }) {
  const { t } = useI18n();
  const shown = [];
  if (labels?.comm_info) shown.push({ key: 'comm_info', text: t('label.comm_info'), strong: true });
  if (labels?.shareable) shown.push({ key: 'shareable', text: t('label.shareable') });
  if (labels?.secret) shown.push({ key: 'secret', text: t('label.secret'), strong: true });
  for (const provider of labels?.providers ?? []) {
    const org = provider.organisation ?? String(provider);
    shown.push({ key: `provider:${org}`, text: t('label.provider', { org }) });
  }
  if (shown.length === 0) return <span>{t('common.none')}</span>;
  return (
    <span class="labels">
      {shown.map((label) => (
        <span key={label.key} class={label.strong ? 'badge overdue' : 'badge'} data-label={label.key}>
          {label.text}
        </span>
      ))}
    </span>
  );
}

const yesNo = (t, value) => (value ? t('common.yes') : t('common.no'));

function Facts({ product }) {
  const { t, lang } = useI18n();
  const facts = [
    ['products.col.id', <code key="id">{product.id}</code>],
    ['products.col.title', product.title],
    ['products.col.version', t('product.version_n', { n: product.version })],
    ['product.tier', named(t, 'tier', product.tier)],
    ['products.col.author', product.author || '—'],
    ['products.col.created_at', formatTime(product.created_at, lang)],
  ];
  return (
    <dl class="facts">
      {facts.map(([key, value]) => (
        <div key={key}>
          <dt>{t(key)}</dt>
          <dd data-field={key.split('.').pop()}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

// The notes in the display language first; otherwise in the product's order.
function Notes({ notes }) {
  const { t, lang } = useI18n();
  const ordered = notes
    .map((note, index) => ({ note, index }))
    .sort(
      (a, b) =>
        (a.note.language === lang ? 0 : 1) - (b.note.language === lang ? 0 : 1) || a.index - b.index,
    );
  if (ordered.length === 0) return <p>{t('product.no_notes')}</p>;
  return ordered.map(({ note, index }) => (
    <article key={index} class="product-note" data-language={note.language} data-audience={note.audience}>
      <h3>
        {t('product.note_heading', {
          audience: named(t, 'audience', note.audience),
          language: named(t, 'language', note.language),
        })}
      </h3>
      <p lang={note.language}>{note.text}</p>
      <p class="hint">
        {t('product.labels')}: <Labels labels={note.labels} />
      </p>
    </article>
  ));
}

function Parts({ parts }) {
  const { t, lang } = useI18n();
  if (parts.length === 0) return <p>{t('product.no_parts')}</p>;
  const kindOf = (part) =>
    part.indicator_type
      ? `${named(t, 'part.kind', part.kind)} (${part.indicator_type})`
      : named(t, 'part.kind', part.kind);
  return (
    <table class="parts">
      <caption>{t('product.parts_caption', { n: parts.length })}</caption>
      <thead>
        <tr>
          <th scope="col">{t('part.col.id')}</th>
          <th scope="col">{t('part.col.kind')}</th>
          <th scope="col">{t('part.col.value')}</th>
          <th scope="col">{t('part.col.labels')}</th>
          <th scope="col">{t('part.col.essential')}</th>
          <th scope="col">{t('part.col.generalisable')}</th>
          <th scope="col">{t('part.col.vendor')}</th>
          <th scope="col">{t('part.col.embargo_until')}</th>
        </tr>
      </thead>
      <tbody>
        {parts.map((part) => (
          <tr key={part.id} data-part={part.id}>
            <th scope="row" class="nowrap">
              <code>{part.id}</code>
            </th>
            <td>{kindOf(part)}</td>
            <td class="wrap">
              <code class="hash">{part.value}</code>
            </td>
            <td>
              <Labels labels={part.labels} />
            </td>
            <td>{yesNo(t, part.essential)}</td>
            <td>{yesNo(t, part.generalisable)}</td>
            <td>{part.vendor || '—'}</td>
            <td class="time">{part.embargo_until ? formatTime(part.embargo_until, lang) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// Every version; each but the one shown has a button that shows it.
function Versions({ versions, shown, onShow }) {
  const { t, lang } = useI18n();
  return (
    <table class="versions">
      <caption>{t('product.versions_caption', { n: versions.length })}</caption>
      <thead>
        <tr>
          <th scope="col">{t('products.col.version')}</th>
          <th scope="col">{t('products.col.title')}</th>
          <th scope="col">{t('products.col.author')}</th>
          <th scope="col">{t('products.col.created_at')}</th>
          <th scope="col">{t('product.col.actions')}</th>
        </tr>
      </thead>
      <tbody>
        {versions.map((version) => (
          <tr
            key={version.version}
            data-version={version.version}
            aria-current={version.version === shown ? 'true' : undefined}
          >
            <th scope="row" class="num">
              {version.version}
              {version.version === shown && <span class="badge">{t('product.shown')}</span>}
            </th>
            <td class="wrap">{version.title}</td>
            <td>{version.author}</td>
            <td class="time">{formatTime(version.created_at, lang)}</td>
            <td>
              {version.version !== shown && (
                <button type="button" class="secondary" onClick={() => onShow(version.version)}>
                  {t('product.show_version', { n: version.version })}
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Product({ api, id }) {
  const { t } = useI18n();
  const [version, setVersion] = useState(null); // null: the latest
  const query = version === null ? '' : `?version=${version}`;
  const { data, error, loading } = useApiData(api, `/api/products/${encodeURIComponent(id)}${query}`);
  const product = data?.product;
  const provisions = data?.provisions ?? [];
  const versions = data?.versions ?? [];
  const latest = versions.length > 0 ? versions[versions.length - 1].version : null;
  return (
    <section aria-labelledby="product-heading">
      <p>
        <Link href="/products">← {t('product.back')}</Link>
      </p>
      <h1 id="product-heading">{t('product.heading', { id })}</h1>
      <ErrorNote error={error} />
      {loading && <Loading />}
      {product && (
        <>
          {latest !== null && product.version !== latest && (
            <p class="note" role="status">
              {t('product.older_shown', { n: product.version, latest })}{' '}
              <button type="button" class="secondary" onClick={() => setVersion(null)}>
                {t('product.show_latest')}
              </button>
            </p>
          )}
          <section class="panel" aria-labelledby="product-facts">
            <h2 id="product-facts">{t('product.facts')}</h2>
            <Facts product={product} />
          </section>
          <section class="panel" aria-labelledby="product-notes">
            <h2 id="product-notes">{t('product.notes')}</h2>
            <Notes notes={product.notes ?? []} />
          </section>
          <section class="panel" aria-labelledby="product-parts">
            <h2 id="product-parts">{t('product.parts')}</h2>
            <Parts parts={product.parts ?? []} />
          </section>
          <section class="panel" aria-labelledby="product-versions">
            <h2 id="product-versions">{t('product.versions')}</h2>
            {versions.length === 0 ? (
              <p>{t('common.none')}</p>
            ) : (
              <Versions versions={versions} shown={product.version} onShow={setVersion} />
            )}
          </section>
          <section class="panel" aria-labelledby="product-provisions">
            <h2 id="product-provisions">{t('product.provisions')}</h2>
            {provisions.length === 0 ? (
              <p>{t('provisions.none')}</p>
            ) : (
              <ProvisionTable
                provisions={provisions}
                caption={t('provisions.caption', { n: provisions.length })}
              />
            )}
          </section>
        </>
      )}
    </section>
  );
}
