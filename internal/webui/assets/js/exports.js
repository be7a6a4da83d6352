// Export tasks: DescribeExportTasks with live status (polled every 2 s
// while one is in progress), progress and download links; StartExportTask
// for a summary, an agent's data over a window, or EC2 recommendations with
// their preferences.
import { ads, pageAll } from './api.js';
import { h, table, status, fmtTime, errorBox } from './dom.js';
import { current } from './nav.js';

const POLL_MS = 2000;

function progressOf(t) {
  const m = /(\d+)%/.exec(t.statusMessage || '');
  if (t.exportStatus === 'SUCCEEDED') return h('progress', { max: 100, value: 100 });
  if (t.exportStatus !== 'IN_PROGRESS') return '';
  return m ? h('progress', { max: 100, value: m[1] }) : h('progress', {});
}

export async function renderExports(view, gen) {
  const list = h('div', { id: 'export-results' });
  const message = h('div', { role: 'status', id: 'export-message' });
  let timer = null;
  const stop = () => { clearTimeout(timer); window.removeEventListener('poseidon:leave', stop); };
  window.addEventListener('poseidon:leave', stop);

  const load = async () => {
    const tasks = await pageAll('DescribeExportTasks', { maxResults: 100 }, (p) => p.exportsInfo || [], 10);
    if (!current(gen)) return;
    tasks.sort((a, b) => String(b.exportRequestTime).localeCompare(String(a.exportRequestTime)));
    list.replaceChildren(table([
      { title: 'Export ID', value: (t) => h('code', {}, t.exportId) },
      { title: 'Status', value: (t) => status(t.exportStatus) },
      { title: 'Progress', value: progressOf },
      { title: 'Message', value: (t) => t.statusMessage || '' },
      { title: 'Requested', value: (t) => fmtTime(t.exportRequestTime) },
      { title: 'Window', value: (t) => t.requestedStartTime ? `${fmtTime(t.requestedStartTime)} – ${fmtTime(t.requestedEndTime)}` : '' },
      { title: 'Download', value: (t) => t.configurationsDownloadUrl
        ? h('a', { href: t.configurationsDownloadUrl, download: `${t.exportId}.zip`, 'data-export-id': t.exportId }, 'download zip') : '' },
    ], tasks, 'No export yet.'));
    clearTimeout(timer);
    if (tasks.some((t) => t.exportStatus === 'IN_PROGRESS')) timer = setTimeout(() => load().catch(() => {}), POLL_MS);
  };

  const form = startForm(async (body) => {
    try {
      const out = await ads('StartExportTask', body);
      message.replaceChildren(h('p', {}, 'Started export ', h('code', {}, out.exportId), '.'));
      await load();
    } catch (err) {
      message.replaceChildren(errorBox(err));
    }
  });
  await load();
  if (!current(gen)) return;
  view.replaceChildren(h('h1', {}, 'Exports'), form, message, list);
}

function startForm(start) {
  const kind = h('select', { name: 'kind' },
    h('option', { value: 'summary' }, 'Summary of the inventory'),
    h('option', { value: 'agent' }, 'Agent data over a window'),
    h('option', { value: 'ec2' }, 'EC2 instance recommendations'));
  const now = new Date();
  const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const agent = h('fieldset', { hidden: true, id: 'agent-fields' }, h('legend', {}, 'Agent data'),
    h('label', {}, 'Agent ID', h('input', { name: 'agentId', placeholder: 'o-0123456789abcdef0' })),
    h('label', {}, 'From', h('input', { type: 'datetime-local', name: 'from', value: local(new Date(now - 86400000)) })),
    h('label', {}, 'To', h('input', { type: 'datetime-local', name: 'to', value: local(now) })));
  const basis = (name) => h('label', {}, name.toUpperCase() + ' basis',
    h('select', { name: name + 'Basis' }, ['AVG', 'MAX', 'SPEC'].map((v) => h('option', { value: v, selected: v === 'MAX' }, v))));
  const ec2 = h('fieldset', { hidden: true, id: 'ec2-fields' }, h('legend', {}, 'EC2 recommendation preferences'),
    basis('cpu'), h('label', {}, 'CPU adjust %', h('input', { name: 'cpuAdjust', type: 'number', value: 0, min: 0, max: 100 })),
    basis('ram'), h('label', {}, 'RAM adjust %', h('input', { name: 'ramAdjust', type: 'number', value: 0, min: 0, max: 100 })),
    h('label', {}, 'Tenancy', h('select', { name: 'tenancy' }, h('option', {}, 'SHARED'), h('option', {}, 'DEDICATED'))),
    h('label', {}, 'Region', h('input', { name: 'region', value: 'us-east-1' })),
    h('label', {}, 'Excluded types (comma-separated)', h('input', { name: 'excluded', placeholder: 't2.micro' })),
    h('label', {}, 'Reserved instances', h('select', { name: 'ri' }, h('option', { value: '' }, 'on demand'),
      h('option', { value: 'NO_UPFRONT' }, 'no upfront'), h('option', { value: 'PARTIAL_UPFRONT' }, 'partial upfront'), h('option', { value: 'ALL_UPFRONT' }, 'all upfront'))),
    h('label', {}, 'Offering', h('select', { name: 'offering' }, h('option', {}, 'STANDARD'), h('option', {}, 'CONVERTIBLE'))),
    h('label', {}, 'Term', h('select', { name: 'term' }, h('option', {}, 'ONE_YEAR'), h('option', {}, 'THREE_YEAR'))));
  const form = h('form', { class: 'card', id: 'start-export' }, h('h2', {}, 'Start an export'),
    h('div', { class: 'toolbar' }, h('label', {}, 'Kind', kind), h('button', { type: 'submit' }, 'Start export')), agent, ec2);
  kind.addEventListener('change', () => {
    agent.hidden = kind.value !== 'agent';
    ec2.hidden = kind.value !== 'ec2';
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = form.elements;
    let body = {};
    if (kind.value === 'agent') {
      body = { filters: [{ name: 'agentIds', values: [f.agentId.value.trim()], condition: 'EQUALS' }] };
      if (f.from.value) body.startTime = new Date(f.from.value).getTime() / 1000;
      if (f.to.value) body.endTime = new Date(f.to.value).getTime() / 1000;
    } else if (kind.value === 'ec2') {
      const p = {
        enabled: true,
        cpuPerformanceMetricBasis: { name: f.cpuBasis.value, percentageAdjust: Number(f.cpuAdjust.value) },
        ramPerformanceMetricBasis: { name: f.ramBasis.value, percentageAdjust: Number(f.ramAdjust.value) },
        tenancy: f.tenancy.value,
        preferredRegion: f.region.value.trim(),
      };
      const excluded = f.excluded.value.split(',').map((s) => s.trim()).filter(Boolean);
      if (excluded.length) p.excludedInstanceTypes = excluded;
      if (f.ri.value) p.reservedInstanceOptions = { purchasingOption: f.ri.value, offeringClass: f.offering.value, termLength: f.term.value };
      body = { preferences: { ec2RecommendationsPreferences: p } };
    }
    start(body);
  });
  return form;
}
