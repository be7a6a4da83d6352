// Import tasks (DescribeImportTasks), with the link to each errors file.
import { ads } from './api.js';
import { h, table, status, fmtTime, fmtNum, Pager } from './dom.js';
import { current } from './nav.js';

const POLL_MS = 2000;

export async function renderImports(view, gen) {
  let rows = [];
  let timer = null;
  const stop = () => { clearTimeout(timer); window.removeEventListener('poseidon:leave', stop); };
  window.addEventListener('poseidon:leave', stop);
  const pager = new Pager(async (token) => {
    const page = await ads('DescribeImportTasks', { maxResults: 100, nextToken: token });
    rows = page.tasks || [];
    return page.nextToken;
  });
  const results = h('div', { id: 'import-results' });
  const draw = () => { drawTable(); poll(); };
  const drawTable = () => results.replaceChildren(table([
    { title: 'Name', value: (t) => t.name },
    { title: 'Task ID', value: (t) => h('code', {}, t.importTaskId) },
    { title: 'Status', value: (t) => status(t.status) },
    { title: 'Requested', value: (t) => fmtTime(t.importRequestTime) },
    { title: 'Completed', value: (t) => fmtTime(t.importCompletionTime) },
    { title: 'Servers ok / failed', num: true, value: (t) => `${fmtNum(t.serverImportSuccess, 0)} / ${fmtNum(t.serverImportFailure, 0)}` },
    { title: 'Applications ok / failed', num: true, value: (t) => `${fmtNum(t.applicationImportSuccess, 0)} / ${fmtNum(t.applicationImportFailure, 0)}` },
    { title: 'Errors file', value: (t) => t.errorsAndFailedEntriesZip ? h('a', { href: t.errorsAndFailedEntriesZip, download: `${t.importTaskId}-errors.zip`, 'data-import-id': t.importTaskId }, 'errors zip') : '—' },
  ], rows, 'No import task. Start one with StartImportTask (aws discovery start-import-task).'), pager.controls(draw));
  // While a task of the page shown runs, read the page again every 2 s.
  const poll = () => {
    clearTimeout(timer);
    if (!rows.some((t) => /IN_PROGRESS$/.test(t.status))) return;
    timer = setTimeout(async () => {
      if (!current(gen)) return;
      try {
        await pager.show();
        draw();
      } catch {
        poll();
      }
    }, POLL_MS);
  };
  await pager.first();
  if (!current(gen)) return;
  view.replaceChildren(h('h1', {}, 'Import tasks'), results);
  draw();
}
