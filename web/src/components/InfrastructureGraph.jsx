// web/src/components/InfrastructureGraph: a finding's infrastructure as SVG — bots (pseudonym
// counts only) on the left, C2 servers in the middle, fingerprints and indicators on the right,
// edges between them. A fixed column layout: deterministic, readable for the small graphs of one
// finding, and no layout library. The nodes and edges are also listed in tables.
import { useI18n } from '../i18n.js';

const columnOrder = ['bots', 'c2', 'fingerprint', 'indicator'];
const columnWidth = 310;
const rowHeight = 84;
const nodeWidth = 190;
const nodeHeight = 52;
const margin = 24;

const shorten = (text, max = 26) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function layout(nodes) {
  const kinds = [...new Set(nodes.map((n) => (columnOrder.includes(n.kind) ? n.kind : 'other')))];
  kinds.sort((a, b) => (columnOrder.indexOf(a) + 1 || 99) - (columnOrder.indexOf(b) + 1 || 99));
  const columns = kinds.map((kind) =>
    nodes.filter((n) => (columnOrder.includes(n.kind) ? n.kind : 'other') === kind),
  );
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = margin * 2 + tallest * rowHeight;
  const positions = new Map();
  columns.forEach((column, x) => {
    const top = (height - column.length * rowHeight) / 2;
    column.forEach((node, y) => {
      positions.set(node.id, {
        x: margin + x * columnWidth,
        y: top + y * rowHeight + (rowHeight - nodeHeight) / 2,
      });
    });
  });
  const width = margin * 2 + (columns.length - 1) * columnWidth + nodeWidth;
  return { positions, width, height };
}

export function InfrastructureGraph({ graph }) {
  const { t } = useI18n();
  const nodes = graph?.nodes ?? [];
  const edges = (graph?.edges ?? []).filter((e) => nodes.some((n) => n.id === e.from));
  if (nodes.length === 0) return <p>{t('finding.no_graph')}</p>;
  const { positions, width, height } = layout(nodes);
  const kindLabel = (kind) => (columnOrder.includes(kind) ? t(`node.${kind}`) : kind);

  return (
    <figure class="graph">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label={t('finding.graph_label', { nodes: nodes.length, edges: edges.length })}
        data-nodes={nodes.length}
        data-edges={edges.length}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        {edges.map((edge, i) => {
          const from = positions.get(edge.from);
          const to = positions.get(edge.to);
          if (!from || !to) return null;
          const forward = to.x >= from.x;
          const x1 = from.x + (forward ? nodeWidth : 0);
          const x2 = to.x + (forward ? 0 : nodeWidth);
          const y1 = from.y + nodeHeight / 2;
          const y2 = to.y + nodeHeight / 2;
          return (
            <g class="edge" key={`e${i}`}>
              <line x1={x1} y1={y1} x2={x2} y2={y2} marker-end="url(#arrow)" />
              {edge.label && (
                <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4} text-anchor="middle">
                  {shorten(edge.label, 20)}
                </text>
              )}
            </g>
          );
        })}
        {nodes.map((node) => {
          const at = positions.get(node.id);
          const kind = columnOrder.includes(node.kind) ? node.kind : 'other';
          const label = String(node.label ?? node.id);
          return (
            <g class={`node node-${kind}`} key={node.id} data-kind={node.kind}>
              <title>{`${kindLabel(node.kind)}: ${label}`}</title>
              <rect x={at.x} y={at.y} width={nodeWidth} height={nodeHeight} rx="8" />
              <text x={at.x + 10} y={at.y + 20} class="kind">
                {kindLabel(node.kind)}
                {node.count !== undefined && node.count !== null
                  ? ` · ${t('node.count', { n: node.count })}`
                  : ''}
              </text>
              <text x={at.x + 10} y={at.y + 40} class="label">
                {shorten(label)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <details>
          <summary>{t('common.data_table')}</summary>
          <table>
            <caption>{t('finding.nodes')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('finding.node_kind')}</th>
                <th scope="col">{t('finding.node_label')}</th>
                <th scope="col">{t('finding.node_count')}</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((node) => (
                <tr key={node.id}>
                  <td>{kindLabel(node.kind)}</td>
                  <td>
                    <code>{node.label ?? node.id}</code>
                  </td>
                  <td class="num">{node.count ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>{t('finding.edges')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('finding.edge_from')}</th>
                <th scope="col">{t('finding.edge_to')}</th>
                <th scope="col">{t('finding.edge_label')}</th>
              </tr>
            </thead>
            <tbody>
              {edges.map((edge, i) => (
                <tr key={`r${i}`}>
                  <td>
                    <code>{edge.from}</code>
                  </td>
                  <td>
                    <code>{edge.to}</code>
                  </td>
                  <td>{edge.label ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
