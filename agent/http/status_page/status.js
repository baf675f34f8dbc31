// The status page's only script: it polls /health?history and redraws the
// table in place. The server already rendered the same table, so the page
// works without it. Every value goes in through textContent or setAttribute,
// never as HTML: check messages come from plugins and pushers, untrusted.
(function () {
  'use strict';
  var body = document.body;
  var refreshMs = Math.max(500, Number(body.dataset.refreshMs) || 2000);
  var started = Date.parse(body.dataset.started);
  // The server's clock, not the browser's, says how long ago things happened.
  var skew = Date.parse(body.dataset.now) - Date.now();
  var rows = document.getElementById('rows');
  var form = document.getElementById('filters');
  var groupSelect = document.getElementById('group');
  var labelSelect = document.getElementById('label');
  var empty = document.getElementById('empty');
  var connection = document.getElementById('connection');
  if (!rows || !form) return;

  function now() { return Date.now() + skew; }

  function span(seconds) {
    if (!isFinite(seconds) || seconds < 0) seconds = 0;
    if (seconds < 1) return Math.round(seconds * 1000) + 'ms';
    if (seconds < 10) return seconds.toFixed(1) + 's';
    var s = Math.floor(seconds);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor(s % 86400 / 3600) + 'h';
  }

  function since(iso) { return (now() - Date.parse(iso)) / 1000; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function timeEl(iso, text) {
    var node = el('time', '', text);
    node.setAttribute('datetime', iso);
    node.title = iso;
    return node;
  }

  function shownStatus(check) {
    return check.pending && !check.stale ? 'pending' : check.status;
  }

  function cell(label, className, content) {
    var td = el('td', className);
    td.dataset.label = label;
    if (typeof content === 'string') td.textContent = content;
    else if (content) td.appendChild(content);
    return td;
  }

  function historyStrip(history) {
    var frag = document.createDocumentFragment();
    var cells = el('span', 'cells');
    var oldestFirst = (history || []).slice().reverse();
    oldestFirst.forEach(function (entry) {
      var i = el('i', 'cell status-' + entry.status);
      i.title = entry.status + ' · ' + entry.time + ' · ' + span(entry.duration_seconds) +
        (entry.message ? ' · ' + entry.message : '') +
        (entry.action ? ' · action: ' + entry.action : '');
      cells.appendChild(i);
    });
    frag.appendChild(cells);
    if (oldestFirst.length >= 2) {
      // Full height is the longest run but at least 10 ms, as the server draws it
      // (status_page.cpp, sparkline_floor_seconds): microsecond jitter stays flat.
      var width = 64, height = 16, floorSeconds = 0.010, longest = 0;
      oldestFirst.forEach(function (e) { longest = Math.max(longest, e.duration_seconds); });
      var scale = Math.max(longest, floorSeconds);
      var step = width / (oldestFirst.length - 1);
      var points = oldestFirst.map(function (e, i) {
        var share = e.duration_seconds / scale;
        return (i * step).toFixed(1) + ',' + (height - 1 - share * (height - 2)).toFixed(1);
      }).join(' ');
      var ns = 'http://www.w3.org/2000/svg';
      var svg = document.createElementNS(ns, 'svg');
      svg.setAttribute('class', 'spark');
      svg.setAttribute('width', width);
      svg.setAttribute('height', height);
      svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', 'durations, longest ' + span(longest));
      var line = document.createElementNS(ns, 'polyline');
      line.setAttribute('points', points);
      svg.appendChild(line);
      frag.appendChild(svg);
    }
    return frag;
  }

  // As the server renders it: "99.95% 24h · 99.10% 30d", never rounded up to 100%.
  function uptimeText(uptime) {
    var parts = [];
    Object.keys(uptime || {}).forEach(function (window) {
      var ratio = uptime[window];
      if (ratio === null || ratio === undefined) return;
      var shown = ratio >= 1 ? '100%' : (Math.floor(ratio * 10000) / 100).toFixed(2) + '%';
      parts.push(shown + ' ' + window);
    });
    return parts.join(' · ');
  }

  function silencedText(quiet) {
    if (quiet.window) return 'silenced until ' + quiet.until + ' (window ' + quiet.window + ')';
    return 'silenced until ' + quiet.until + ' by ' + quiet.by + ': ' + quiet.reason;
  }

  function row(name, check) {
    var shown = shownStatus(check);
    var tr = el('tr', 'check status-' + shown);
    tr.dataset.name = name;
    tr.id = 'check-' + name; // alerts link here (alerts/alert_engine)
    tr.dataset.status = shown;
    tr.dataset.groups = (check.groups || []).join(' ');
    tr.dataset.labels = JSON.stringify(labelPairs(check));

    var status = cell('status', 'status', el('span', 'badge', shown));
    if (check.stale) status.appendChild(el('span', 'flag', 'stale'));
    if (check.suppressed) status.appendChild(el('span', 'flag', 'suppressed'));
    if (check.restored) status.appendChild(el('span', 'flag', 'restored'));
    if (check.silenced) status.appendChild(el('span', 'flag silenced', silencedText(check.silenced)));
    if (check.ttl_seconds) status.appendChild(el('span', 'flag', 'push, ttl ' + span(check.ttl_seconds)));
    tr.appendChild(status);
    var nameCell = cell('check', 'name', name);
    if (check.description) nameCell.appendChild(el('span', 'description', check.description));
    tr.appendChild(nameCell);
    tr.appendChild(cell('groups', 'groups', (check.groups || []).join(', ')));
    tr.appendChild(cell('message', 'message', check.message));
    tr.appendChild(cell('last run', 'last-run',
      check.last_run ? timeEl(check.last_run, span(since(check.last_run)) + ' ago') : '—'));
    tr.appendChild(cell('duration', 'duration',
      check.duration_seconds === null ? '—' : span(check.duration_seconds)));
    var inState = cell('in state', 'since',
      check.status_since ? timeEl(check.status_since, span(since(check.status_since))) : '—');
    var uptime = uptimeText(check.uptime);
    if (uptime) {
      var up = el('span', 'uptime', uptime);
      up.title = 'uptime';
      inState.appendChild(up);
    }
    tr.appendChild(inState);
    tr.appendChild(cell('history', 'history', historyStrip(check.history)));
    return tr;
  }

  // "name=value" for each label, as the server writes data-labels and the filter's options.
  function labelPairs(check) {
    var labels = check.labels || {};
    return Object.keys(labels).sort().map(function (name) { return name + '=' + labels[name]; });
  }

  function filters() {
    var data = new FormData(form);
    return { status: data.get('status') || '', group: data.get('group') || '',
             label: data.get('label') || '' };
  }

  function applyFilters() {
    var f = filters();
    var visible = 0;
    Array.prototype.forEach.call(rows.rows, function (tr) {
      var show = (!f.status || tr.dataset.status === f.status) &&
        (!f.group || tr.dataset.groups.split(' ').indexOf(f.group) >= 0) &&
        (!f.label || JSON.parse(tr.dataset.labels || '[]').indexOf(f.label) >= 0);
      tr.hidden = !show;
      if (show) visible++;
    });
    empty.hidden = visible > 0;
    var query = new URLSearchParams();
    if (f.status) query.set('status', f.status);
    if (f.group) query.set('group', f.group);
    if (f.label) query.set('label', f.label);
    var target = location.pathname + (query.toString() ? '?' + query : '');
    if (target !== location.pathname + location.search) history.replaceState(null, '', target);
  }

  function updateGroups(checks) {
    var groups = {};
    Object.keys(checks).forEach(function (name) {
      (checks[name].groups || []).forEach(function (g) { groups[g] = true; });
    });
    var wanted = Object.keys(groups).sort();
    var have = Array.prototype.slice.call(groupSelect.options, 1).map(function (o) { return o.value; });
    if (wanted.join('\n') === have.join('\n')) return;
    var current = groupSelect.value;
    while (groupSelect.options.length > 1) groupSelect.remove(1);
    wanted.forEach(function (g) { groupSelect.add(new Option(g, g, false, g === current)); });
  }

  // The label filter offers what some checks have and others not, as the server does.
  function updateLabels(checks) {
    var names = Object.keys(checks);
    var counts = {};
    names.forEach(function (name) {
      labelPairs(checks[name]).forEach(function (pair) { counts[pair] = (counts[pair] || 0) + 1; });
    });
    var wanted = Object.keys(counts).filter(function (pair) {
      return counts[pair] < names.length;
    }).sort();
    var have = Array.prototype.slice.call(labelSelect.options, 1).map(function (o) { return o.value; });
    if (wanted.join('\n') === have.join('\n')) return;
    var current = labelSelect.value;
    while (labelSelect.options.length > 1) labelSelect.remove(1);
    wanted.forEach(function (p) { labelSelect.add(new Option(p, p, false, p === current)); });
  }

  function render(health) {
    var checks = health.checks || {};
    var counts = { all: 0, ok: 0, warning: 0, error: 0, pending: 0 };
    var fresh = document.createDocumentFragment();
    Object.keys(checks).sort().forEach(function (name) {
      var check = checks[name];
      counts.all++;
      counts[shownStatus(check)]++;
      fresh.appendChild(row(name, check));
    });
    rows.replaceChildren(fresh);
    Object.keys(counts).forEach(function (key) {
      var count = document.getElementById('count-' + key);
      if (count) count.textContent = counts[key];
    });
    var overall = document.getElementById('overall');
    overall.textContent = health.status;
    overall.className = 'badge status-' + health.status;
    body.className = 'overall-' + health.status;
    document.title = health.status + ' · ' + document.getElementById('agent-name').textContent;
    if (health.config) {
      var config = document.getElementById('config');
      var n = health.config.errors.length;
      config.textContent = health.config.ok ? 'ok' :
        'reload failed (' + n + ' error' + (n === 1 ? '' : 's') + ')';
      config.className = 'config-' + (health.config.ok ? 'ok' : 'error');
    }
    if (health.maintenance !== undefined) {
      var banner = document.getElementById('maintenance');
      var on = health.maintenance;
      banner.hidden = !on;
      banner.textContent = on ? 'maintenance' + (on.until ? ' until ' + on.until : '') +
        ' by ' + on.by + ': ' + on.reason : '';
    }
    updateGroups(checks);
    updateLabels(checks);
    applyFilters();
  }

  function setConnection(problem) {
    connection.hidden = !problem;
    connection.textContent = problem || '';
  }

  function poll() {
    fetch('/health?history', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403)
          throw new Error('not allowed to read /health (' + response.status + ')');
        return response.json();
      })
      .then(function (health) {
        if (!health || typeof health.status !== 'string') throw new Error('unexpected answer');
        render(health);
        setConnection('');
      })
      .catch(function (error) { setConnection('· not updating: ' + error.message); })
      .then(function () { setTimeout(poll, refreshMs); });
  }

  function tick() {
    document.getElementById('uptime').textContent = span((now() - started) / 1000);
  }

  form.addEventListener('change', applyFilters);
  form.addEventListener('submit', function (event) { event.preventDefault(); applyFilters(); });
  setInterval(tick, 1000);
  applyFilters();
  setTimeout(poll, refreshMs);
}());
