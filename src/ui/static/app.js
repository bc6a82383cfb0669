// The app's one script: plain DOM, no framework, no build. Pages are rendered on the server; this reacts to
// what a person does (steps, counters, checks, tests, estimates, a run's live progress, the SQL box).
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

async function call(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get('content-type') ?? '';
  return type.includes('json') ? response.json() : { ok: false, error: await response.text() };
}

// ---- the five steps ------------------------------------------------------------------------------
const wizard = $('#wizard');
if (wizard) {
  const steps = $$('.step', wizard);
  let current = 1;
  // Each step is a history entry: Back and Forward move between steps, keeping every input (same page).
  const show = (n, how = 'push') => {
    const next = Math.min(Math.max(n, 1), steps.length);
    if (how === 'push' && next !== current) history.pushState({ step: next }, '', `#step-${next}`);
    if (how === 'replace') history.replaceState({ step: next }, '', `#step-${next}`);
    current = next;
    steps.forEach((s) => (s.hidden = Number(s.dataset.step) !== current));
    $$('.steps li').forEach((li) => {
      li.classList.toggle('active', Number(li.dataset.goto) === current);
      if (Number(li.dataset.goto) === current) $('button', li).setAttribute('aria-current', 'step');
      else $('button', li).removeAttribute('aria-current');
    });
    $('[data-action=back]', wizard).disabled = current === 1;
    $('[data-action=next]', wizard).hidden = current === steps.length;
    wizard.dispatchEvent(new CustomEvent('step', { detail: current }));
  };
  show(Number(/^#step-(\d)$/.exec(location.hash)?.[1] ?? 1), 'replace');
  window.addEventListener('popstate', (e) => show(e.state?.step ?? 1, 'none'));
  $$('.steps li').forEach((li) => li.addEventListener('click', () => show(Number(li.dataset.goto))));

  const values = () => {
    const data = new FormData(wizard);
    const out = { editing: wizard.dataset.editing || '', streams: data.getAll('stream') };
    for (const [key, value] of data.entries()) if (key !== 'stream') out[key] = value;
    out.use_sandbox = data.get('use_sandbox') === 'on';
    return out;
  };

  // Answers can come back out of order while someone types: only the latest question's answer is shown.
  // newest() makes a counter of questions: calling that starts one, and says later whether it is still the newest.
  const newest = () => {
    let asked = 0;
    return () => {
      const question = ++asked;
      return () => question === asked;
    };
  };
  const wordsQuestion = { schedule: newest(), full_sync_schedule: newest() };
  const words = async (name, expr) => {
    const target = $(`[data-words=${name}]`);
    const stillNewest = wordsQuestion[name]();
    // The trigger is made and checked by the server from the fields as typed ("8h", "noon"), in its time zone.
    if (name === 'schedule') {
      const answer = await call('/api/trigger', values());
      if (!stillNewest()) return;
      target.textContent = answer.ok
        ? answer.schedule
          ? answer.words
          : 'Runs only when you press ▶.'
        : answer.error;
      return target.classList.toggle('error', !answer.ok);
    }
    if (!expr) return (target.textContent = '');
    const answer = await call(`/api/cron?expr=${encodeURIComponent(expr)}`);
    if (!stillNewest()) return;
    target.textContent = answer.ok ? answer.words : answer.error;
    target.classList.toggle('error', !answer.ok);
  };
  const trigger = () => {
    const kind = new FormData(wizard).get('trigger');
    $$('.trigger-detail [data-for]').forEach((el) => (el.hidden = !el.dataset.for.split(' ').includes(kind)));
    void words('schedule');
  };
  const existingCron = $('[name=cron]', wizard).value;
  if (existingCron) $('[name=trigger]', wizard).value = 'cron';
  trigger();
  $('[name=full_sync_schedule]', wizard).addEventListener('input', (e) =>
    words('full_sync_schedule', e.target.value.trim()),
  );
  void words('full_sync_schedule', $('[name=full_sync_schedule]', wizard).value.trim());

  // Description: a live counter (at most 140).
  const description = $('[name=description]', wizard);
  const count = () => {
    const n = description.value.length;
    const counter = $('[data-counter=description]');
    counter.textContent = `${n}/140`;
    counter.classList.toggle('error', n > 140);
  };
  description.addEventListener('input', count);
  count();

  // Start date: checked as typed, by the tap's own parser.
  const start = $('[name=start_date]', wizard);
  const dateQuestion = newest();
  const checkDate = async () => {
    const out = $('[data-check-for=start_date]');
    const stillNewest = dateQuestion();
    if (!start.value.trim()) return (out.textContent = '');
    const answer = await call(`/api/check-date?value=${encodeURIComponent(start.value)}`);
    if (!stillNewest()) return; // a later keystroke asked again: its answer is the one to show
    out.textContent = answer.ok ? `✓ ${answer.day}` : answer.error;
    out.classList.toggle('error', !answer.ok);
  };
  start.addEventListener('input', checkDate);
  void checkDate();

  // Streams a person ticks or unticks are theirs: a later connection test no longer chooses for them.
  let streamsChosen = Boolean(wizard.dataset.editing);
  wizard.addEventListener('change', (e) => (e.target.name === 'stream' ? (streamsChosen = true) : undefined));

  // Streams: search.
  $('[data-search=streams]').addEventListener('input', (e) => {
    const q = e.target.value.toLowerCase();
    $$('.stream', wizard).forEach(
      (el) => (el.hidden = q !== '' && !el.textContent.toLowerCase().includes(q)),
    );
  });

  // Tables: the layer, the prefix shown before every name.
  const layer = $('[name=layer]', wizard);
  layer.addEventListener('change', () => ($('[name=new_layer]', wizard).hidden = layer.value !== '__new'));
  // Each final name previewed: the layer (a schema) apart, then folder and prefix, then the table's own name.
  const prefix = () => {
    const chosen = layer.value === '__new' ? $('[name=new_layer]', wizard).value : layer.value;
    const start = `${$('[name=folder]', wizard).value}${$('[name=table_prefix]', wizard).value}`;
    $$('.prefix', wizard).forEach((el) => (el.textContent = `${chosen || 'raw'} . ${start}`));
  };
  for (const name of ['folder', 'table_prefix', 'new_layer'])
    $(`[name=${name}]`, wizard).addEventListener('input', prefix);
  layer.addEventListener('change', prefix);
  prefix();

  const answer = (name, result) => {
    const out = $(`[data-answer=${name}]`);
    out.textContent = result.ok ? (result.lines ?? [result.text ?? 'ok']).join('\n') : result.error;
    out.classList.toggle('error', !result.ok);
    out.classList.toggle('ok', !!result.ok);
  };
  wizard.addEventListener('input', (e) =>
    e.target.name === 'trigger' || e.target.name === 'timezone' || e.target.closest('.trigger-detail')
      ? trigger()
      : undefined,
  );
  wizard.addEventListener('change', (e) => (e.target.name === 'trigger' ? trigger() : undefined));
  wizard.addEventListener('click', async (e) => {
    const action = e.target.dataset?.action;
    if (action === 'next') show(current + 1);
    if (action === 'back') show(current - 1);
    if (action === 'test') {
      answer('test', { ok: true, text: 'testing…' });
      const tested = await call('/api/test', values());
      answer('test', tested);
      if (tested.ok && !streamsChosen)
        for (const box of $$('input[name=stream]', wizard)) box.checked = tested.runnable.includes(box.value);
    }
    if (action === 'estimate') {
      answer('estimate', { ok: true, text: 'estimating…' });
      answer('estimate', await call('/api/estimate', values()));
    }
  });
  // A refusal goes beside its field, on its step, which opens.
  const clearFieldErrors = () => {
    $$('.field-error', wizard).forEach((el) => el.remove());
    $$('[aria-invalid]', wizard).forEach((el) => el.removeAttribute('aria-invalid'));
  };
  const fieldError = (field, message) => {
    const input = $(`[name="${CSS.escape(field)}"]`, wizard);
    if (!input) return false;
    show(Number(input.closest('.step').dataset.step));
    const note = Object.assign(document.createElement('p'), {
      className: 'error field-error',
      id: `error-${field.replace(/\W/g, '_')}`,
      textContent: message,
    });
    (input.closest('label') ?? input).after(note);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', note.id);
    input.focus();
    return true;
  };
  const save = async (thenRun) => {
    clearFieldErrors();
    answer('save', { ok: true, text: 'saving…' });
    const result = await call('/api/sources', values());
    if (!result.ok) {
      answer('save', result);
      if (result.field) fieldError(result.field, result.error);
      return;
    }
    dirty = false;
    if (thenRun) {
      const run = await call(`/api/sources/${encodeURIComponent(result.name)}/run`, {});
      if (!run.ok) return answer('save', { ok: false, error: `saved, but not run: ${run.error}` });
    }
    location.assign(`/?created=${encodeURIComponent(result.name)}`);
  };
  wizard.addEventListener('submit', (e) => {
    e.preventDefault();
    void save(false);
  });
  wizard.addEventListener('click', (e) => (e.target.dataset?.action === 'save-run' ? save(true) : undefined));
  // Enter in a field never saves (in Edit, a half-made change would be saved at once).
  wizard.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target.tagName === 'INPUT') e.preventDefault();
  });
  // Step 3 lists the streams chosen in step 2; step 5 sums up everything chosen, and what was checked.
  const onStep = async (step) => {
    if (step === 3) {
      const chosen = new Set(new FormData(wizard).getAll('stream'));
      $$('[data-table-for]', wizard).forEach((tr) => (tr.hidden = !chosen.has(tr.dataset.tableFor)));
    }
    if (step !== 5) return;
    const out = $('[data-summary]', wizard);
    const summary = await call('/api/summary', values());
    out.textContent = summary.ok ? summary.lines.join('\n') : summary.error;
    out.classList.toggle('error', !summary.ok);
    const checked = (name, what, missing) => {
      const answer = $(`[data-answer=${name}]`);
      const li = $(`[data-check=${name}]`, wizard);
      li.textContent = answer.textContent.trim()
        ? `${what}: ${answer.textContent.trim().split('\n').at(-1)}`
        : missing;
      li.classList.toggle('error', answer.classList.contains('error'));
    };
    checked('test', 'Connection test', 'Connection test: not run (step 1)');
    checked('estimate', 'Estimate', 'Estimate: not made (step 2)');
  };
  wizard.addEventListener('step', (e) => void onStep(e.detail));
  void onStep(current);
  // Leaving with changes not saved asks first.
  let dirty = false;
  wizard.addEventListener('input', () => (dirty = true));
  window.addEventListener('beforeunload', (e) => {
    if (!dirty) return;
    e.preventDefault();
    e.returnValue = '';
  });
}

// ---- sources: run now, schedule, delete -----------------------------------------------------------
/** Source name → what to do with each event of its run (one stream carries every run: see /api/events). */
const followers = new Map();
function watch(name) {
  const row = $(`[data-progress-for="${name}"]`);
  // Followed already (this tab started it, or heard of it first): one follower per run.
  if (!row || 'watching' in row.dataset) return;
  row.hidden = false;
  row.dataset.watching = '';
  $(`[data-action=run][data-name="${name}"]`).disabled = true;
  $(`[data-action=stop][data-name="${name}"]`).hidden = false;
  const progress = $('.progress', row);
  const summary = $('.summary', row);
  // A new run: what the last one showed goes.
  progress.replaceChildren();
  summary.replaceChildren();
  row.classList.remove('ok', 'warned', 'failed');
  delete row.dataset.done;
  const streams = new Map();
  let warnings = 0;
  followers.set(name, (event) => {
    if (event.type === 'progress') {
      const p = event.progress;
      let line = streams.get(p.stream);
      if (!line) {
        line = document.createElement('div');
        line.className = 'stream-progress';
        line.dataset.stream = p.stream;
        progress.append(line);
        streams.set(p.stream, line);
      }
      line.textContent = event.line; // formatted by the server
    } else if (event.type === 'log') {
      // Each line in its level's colour: a warning is never shown as a success.
      const level = /^(WARN|ERROR)\b/.exec(event.line)?.[1]?.toLowerCase();
      if (level) warnings += 1;
      summary.append(
        Object.assign(document.createElement('span'), {
          className: level ? `log-${level}` : 'log-info',
          textContent: `${event.line}\n`,
        }),
      );
    } else if (event.type === 'done') {
      followers.delete(name);
      delete row.dataset.watching;
      // The server sends the run's line as the Sources page shows it.
      const last = $(`[data-source="${name}"] .last`);
      const line = document.createElement('span');
      line.className = 'last-line';
      line.textContent = event.line;
      const why = document.createElement('div');
      why.className = 'muted';
      why.textContent = event.error ?? '';
      const history = document.createElement('a');
      history.href = `/runs/${encodeURIComponent(name)}`;
      history.textContent = 'history';
      last.replaceChildren(line, why, history);
      $(`[data-action=run][data-name="${name}"]`).disabled = false;
      $(`[data-action=stop][data-name="${name}"]`).hidden = true;
      summary.append(
        Object.assign(document.createElement('span'), {
          className: event.ok ? 'log-info' : 'log-error',
          textContent: `${event.ok ? 'done' : event.status}:\n${event.summary}`,
        }),
      );
      row.classList.add(event.ok ? (warnings ? 'warned' : 'ok') : 'failed');
      row.dataset.done = event.ok ? 'ok' : event.status;
    }
  });
}
document.addEventListener('click', async (e) => {
  const { action, name } = e.target.dataset ?? {};
  if (action === 'run') {
    e.target.disabled = true;
    const result = await call(`/api/sources/${encodeURIComponent(name)}/run`, {});
    if (!result.ok) {
      e.target.disabled = false;
      return alert(result.error);
    }
    watch(name);
  }
  if (action === 'stop') {
    e.target.disabled = true;
    const result = await call(`/api/sources/${encodeURIComponent(name)}/stop`, {});
    e.target.disabled = false;
    if (!result.ok) return alert(result.error);
  }
  if (action === 'toggle') {
    await call(`/api/sources/${encodeURIComponent(name)}/toggle`, {});
    location.reload();
  }
  if (action === 'delete') {
    if (
      !confirm(`Delete source ${name}? Its file goes; its tables stay unless you confirm the next question.`)
    )
      return;
    const drop = confirm(`Also drop the tables of ${name} from the catalog?`);
    const result = await call(`/api/sources/${encodeURIComponent(name)}/delete`, { drop_tables: drop });
    if (!result.ok) return alert(result.error);
    location.reload();
  }
  if (action === 'query') {
    const out = $('[data-answer=query]');
    out.classList.remove('error');
    out.textContent = 'running…';
    const result = await call('/api/query', { sql: $('#sql').value });
    out.replaceChildren();
    if (!result.ok) {
      out.classList.add('error');
      return (out.textContent = result.error);
    }
    if (result.rows.length === 0) return (out.textContent = 'no rows');
    const table = document.createElement('table');
    table.className = 'rows';
    const columns = Object.keys(result.rows[0]);
    table
      .createTHead()
      .insertRow()
      .append(...columns.map((c) => Object.assign(document.createElement('th'), { textContent: c })));
    const body = table.createTBody();
    for (const row of result.rows) {
      const tr = body.insertRow();
      for (const c of columns)
        tr.insertCell().textContent =
          typeof row[c] === 'object' && row[c] !== null ? JSON.stringify(row[c]) : String(row[c] ?? '');
    }
    // Wide results scroll inside their box, not the page.
    const scroll = Object.assign(document.createElement('div'), { className: 'scroll', tabIndex: 0 });
    scroll.setAttribute('role', 'region');
    scroll.setAttribute('aria-label', 'query rows');
    scroll.append(table);
    const notice = Object.assign(document.createElement('p'), {
      className: 'notice',
      textContent: result.more
        ? `first ${result.rows.length.toLocaleString('en')} rows shown (the query has more)`
        : `${result.rows.length.toLocaleString('en')} row(s)`,
    });
    notice.dataset.rows = String(result.rows.length);
    out.append(notice, scroll);
  }
});

// Every run of the service on one stream: a run going on when the page opens (another tab started it, or the
// page was reloaded; the stream replays it, to its end if it ended meanwhile) and each run that starts while
// it is open (its schedule, another tab, the command line).
if ($('[data-progress-for]')) {
  const running = $$('[data-progress-for][data-running]').map((row) => row.dataset.progressFor);
  for (const name of running) watch(name);
  const runs = new EventSource(`/api/events?follow=${encodeURIComponent(running.join(','))}`);
  runs.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === 'ready') return void (document.body.dataset.live = '');
    if (!followers.has(event.source)) watch(event.source);
    if (event.type !== 'started') followers.get(event.source)?.(event);
  };
}

// Ctrl+Enter (⌘+Enter) in the SQL box runs it.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && e.target.id === 'sql') {
    e.preventDefault();
    $('[data-action=query]').click();
  }
});
