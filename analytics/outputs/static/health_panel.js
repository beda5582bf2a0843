(() => {
  const panel = document.getElementById('health');
  if (!panel || !/^https?:$/.test(location.protocol)) return;
  const everyMs = Number(panel.dataset.everyMs);
  const words = new Intl.RelativeTimeFormat('en', {numeric: 'always'});
  const UNITS = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const pick = (doc, path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), doc);
  const relative = (seconds) => {
    const size = Math.abs(seconds);
    if (size < 1) return 'just now';
    const [unit, name] = UNITS.find(([u]) => size >= u);
    const count = Math.floor(size / unit);
    return words.format(seconds > 0 ? -count : count, name);
  };
  const utc = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
  const FORMATS = {
    text: (v) => (v == null ? '-' : String(v)),
    error: (v) => v || 'none',
    count: (v) => (v || 0).toLocaleString('en-US'),
    number: (v) => (v == null ? '-' : v.toLocaleString('en-US')),
    duration: (v) => (v == null ? '-' : `${v.toFixed(2)} s`),
    yesno: (v) => (v ? 'yes' : 'no'),
    run: (v) => (v == null ? 'none yet' : `run ${v}`),
    carried: (v) => (v == null ? '-' : `run ${v}`),
    list: (v) => (v && v.length ? v.join(', ') : '(none)'),
    minutes: (v) => (v == null ? '-' : `${v} minutes`),
    step: (v) => (v ? `step: ${v}` : ''),
    time: (v) => (v ? String(v).replace('T', ' ').replace('Z', ' UTC') : '-'),
  };
  const seconds = (format, value, now) => {
    if (value == null) return null;
    if (format === 'age') return Number(value);
    if (format === 'relative') return (now - Date.parse(value)) / 1000;
    return null;
  };
  const show = (el, value, format, now) => {
    const ago = seconds(format, value, now);
    if (ago == null) delete el.dataset.seconds;
    else el.dataset.seconds = ago.toFixed(3);
    if (format === 'status') {
      const badge = document.createElement('span');
      badge.className = `badge ${value}`;
      badge.textContent = value;
      el.replaceChildren(...(value == null ? [] : [badge]));
    } else if (format === 'age' || format === 'relative') {
      el.textContent = ago == null ? 'never' : relative(ago);
    } else {
      el.textContent = FORMATS[format](value);
    }
  };
  const rowsOf = (value, key) =>
    Array.isArray(value) ? value : Object.entries(value || {}).map(([k, v]) => ({[key]: k, ...v}));
  const fillTable = (table, doc, now) => {
    const value = pick(doc, table.dataset.rows);
    if (value === undefined) return;
    const columns = [...table.tHead.querySelectorAll('th')];
    const rows = rowsOf(value, table.dataset.rowKey).map((row) => {
      const tr = document.createElement('tr');
      for (const th of columns) {
        const td = document.createElement('td');
        td.dataset.field = th.dataset.field;
        td.dataset.format = th.dataset.format;
        show(td, row[th.dataset.field], th.dataset.format, now);
        tr.append(td);
      }
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = columns.length;
      td.className = 'muted';
      td.textContent = table.dataset.empty;
      tr.append(td);
      rows.push(tr);
    }
    table.tBodies[0].replaceChildren(...rows);
  };
  // the service's clock, so that moments read the same whatever the viewer's clock says
  const serverNow = (doc) =>
    doc.started_at && doc.uptime_sec != null
      ? Date.parse(doc.started_at) + doc.uptime_sec * 1000
      : Date.now();
  const update = (doc) => {
    const now = serverNow(doc);
    const state = doc.healthy ? 'healthy' : 'unhealthy';
    const verdict = panel.querySelector('[data-verdict]');
    verdict.className = `badge ${state}`;
    verdict.textContent = doc.status ? `${state}: ${doc.status}` : state;
    for (const el of panel.querySelectorAll('.part > [data-field]')) {
      show(el, pick(doc, el.dataset.field), el.dataset.format, now);
      el.parentElement.hidden = el.textContent === '';  // no current step: no "step" at all
    }
    for (const table of panel.querySelectorAll('table.live')) fillTable(table, doc, now);
    const published = doc.published_run_id;
    const notice = panel.querySelector('[data-new-version]');
    show(notice.querySelector('[data-field]'), published, 'run', now);
    notice.hidden = published == null || String(published) === panel.dataset.version;
    panel.classList.remove('unreachable');
    panel.querySelector('[data-refreshed]').textContent =
      `updated ${utc(now)} from /health; refreshed every ${everyMs / 1000} seconds`;
    panel.dataset.polls = Number(panel.dataset.polls) + 1;
  };
  const unreachable = () => {
    panel.classList.add('unreachable');
    panel.querySelector('[data-refreshed]').textContent =
      `the service did not answer at ${utc(Date.now())}; asking again every ` +
      `${everyMs / 1000} seconds`;
  };
  const poll = async () => {
    try {
      const response = await fetch('health', {cache: 'no-store'});
      update(await response.json());  // a 503 (unhealthy) carries the document too
    } catch (error) {
      unreachable();
    }
    setTimeout(poll, everyMs);
  };
  poll();
})();
