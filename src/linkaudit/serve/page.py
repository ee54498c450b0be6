"""The desk's one page: inline style and script, pinned by hash in a strict CSP.

The same security model as the HTML report (:mod:`linkaudit.report.html`): what
comes from an article or the web is hostile.  The script builds every row with
``textContent`` and ``createElement``, never ``innerHTML``; only ``http(s)`` URLs
become links; and the page's Content-Security-Policy allows its own hashed style
and script, requests to the desk itself, and the report frame from the desk,
nothing else.  Writes carry the desk's CSRF token in a header the browser only
lets this page's own script set.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from linkaudit import __version__

STYLE = """
:root { --fg: #1d2330; --muted: #5d6677; --line: #d9dde5; --soft: #f4f6f9; --red: #b42318;
  --amber: #9a5b00; --blue: #175cd3; --green: #067647; --grey: #667085; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  margin: 0 auto; padding: 1.25rem 1.5rem 3rem; max-width: 72rem; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.muted { color: var(--muted); font-size: .9rem; }
.tabs { display: flex; gap: .3rem; margin: 1rem 0 0; flex-wrap: wrap; }
.tabs button { font: inherit; border: 1px solid var(--line); border-bottom: none; cursor: pointer;
  background: var(--soft); padding: .4rem .9rem; border-radius: 6px 6px 0 0; color: var(--muted); }
.tabs button[aria-selected="true"] { background: #fff; color: var(--fg); font-weight: 600; }
.panel { border: 1px solid var(--line); border-radius: 0 6px 6px 6px; padding: 1rem; }
.panel[hidden] { display: none; }
label { display: block; font-weight: 600; margin: .2rem 0 .3rem; }
input[type=text], input[type=url], textarea, select { font: inherit; width: 100%;
  padding: .45rem .55rem; border: 1px solid var(--line); border-radius: 5px; }
textarea { min-height: 11rem; font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: .85rem; }
.row { display: flex; gap: .8rem; }
.row > div { flex: 1; }
#drop { border: 2px dashed var(--line); border-radius: 8px; padding: 2rem; text-align: center;
  color: var(--muted); }
#drop.over { border-color: var(--blue); color: var(--blue); }
button.primary { font: inherit; font-weight: 600; background: var(--blue); color: #fff;
  border: none; border-radius: 6px; padding: .5rem 1.2rem; cursor: pointer; margin-top: .8rem; }
button.primary:disabled { opacity: .5; cursor: default; }
button.secondary { font: inherit; background: #fff; border: 1px solid var(--blue);
  color: var(--blue); border-radius: 6px; padding: .4rem 1rem; cursor: pointer; }
a.button { display: inline-block; font-weight: 600; background: var(--green); color: #fff;
  border-radius: 6px; padding: .45rem 1rem; text-decoration: none; }
#progress { margin: 1rem 0; }
#progress progress { width: 100%; height: .8rem; }
#live { list-style: none; padding: 0; margin: .4rem 0; max-height: 9rem; overflow: auto;
  font-size: .85rem; }
#live li { overflow-wrap: anywhere; }
.error { background: #fef3f2; border: 1px solid var(--red); color: var(--red);
  border-radius: 6px; padding: .5rem .8rem; margin: 1rem 0; overflow-wrap: anywhere; }
.ok-note { background: #ecfdf3; border: 1px solid var(--green); color: var(--green);
  border-radius: 6px; padding: .5rem .8rem; margin: .8rem 0; }
.summary { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem;
  border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { font-size: .85rem; color: var(--muted); }
.v { font-weight: 700; font-size: .8rem; border-radius: 4px; padding: .1rem .4rem;
  white-space: nowrap; background: var(--soft); }
.v-broken, .v-stale, .v-lost, .v-invalid { color: var(--red); background: #fef3f2; }
.v-moved, .v-fragment_missing, .v-insecure { color: var(--amber); background: #fffaeb; }
.v-blocked, .v-unreachable { color: var(--blue); background: #eff8ff; }
.v-ok { color: var(--green); background: #ecfdf3; }
.repairs label { display: inline-flex; gap: .35rem; font-weight: 400; margin-right: 1.2rem; }
pre#diff { background: #0f172a; color: #e2e8f0; padding: .8rem; border-radius: 6px;
  overflow: auto; max-height: 22rem; font-size: .8rem; white-space: pre-wrap; }
iframe { width: 100%; height: 38rem; border: 1px solid var(--line); border-radius: 6px; }
[hidden] { display: none !important; }
"""

SCRIPT = r"""
(function () {
  'use strict';
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var $ = function (id) { return document.getElementById(id); };
  var kind = 'url', job = null, timer = null, preview = null;
  var SAFE = /^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function link(url, label) {
    if (!url) return el('span', '');
    if (!SAFE.test(url)) return el('span', label || url);
    var a = el('a', label || url);
    a.href = url; a.rel = 'noopener noreferrer nofollow'; a.target = '_blank';
    return a;
  }
  function show(node, on) { node.hidden = !on; }
  function fail(message) { $('error').textContent = message; show($('error'), true); }
  function api(method, path, body) {
    var init = { method: method, headers: { 'Accept': 'application/json' },
                 credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.headers['X-CSRF-Token'] = csrf;
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error || ('HTTP ' + r.status));
        return data;
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('.tabs button'), function (b) {
    b.addEventListener('click', function () { choose(b.getAttribute('data-kind')); });
  });
  function choose(k) {
    kind = k;
    Array.prototype.forEach.call(document.querySelectorAll('.tabs button'), function (b) {
      b.setAttribute('aria-selected', b.getAttribute('data-kind') === k ? 'true' : 'false');
    });
    Array.prototype.forEach.call(document.querySelectorAll('.panel'), function (p) {
      show(p, p.id === 'panel-' + k);
    });
  }

  function request() {
    if (kind === 'url') return { kind: 'url', url: $('url').value };
    if (kind === 'paste') return { kind: $('format').value, text: $('text').value };
    if (kind === 'file') return dropped;
    return { kind: 'wordpress', site: $('wp-site').value, post: $('wp-post').value };
  }
  var dropped = null;
  function readFile(file) {
    var reader = new FileReader();
    reader.onload = function () {
      var md = /\.(md|markdown|mdx)$/i.test(file.name);
      dropped = { kind: md ? 'markdown' : 'html', text: String(reader.result),
                  filename: file.name };
      $('drop-name').textContent = file.name + ' (' + (md ? 'Markdown' : 'HTML') + ')';
      start();
    };
    reader.readAsText(file);
  }
  var drop = $('drop');
  drop.addEventListener('dragover', function (e) {
    e.preventDefault(); drop.classList.add('over');
  });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) {
    e.preventDefault(); drop.classList.remove('over');
    if (e.dataTransfer.files.length) readFile(e.dataTransfer.files[0]);
  });
  $('file').addEventListener('change', function () {
    if ($('file').files.length) readFile($('file').files[0]);
  });

  $('audit').addEventListener('click', start);
  function start() {
    var body = request();
    if (!body) { fail('Drop a file first.'); return; }
    show($('error'), false); show($('result'), false); show($('repair-out'), false);
    $('live').textContent = ''; $('progress-text').textContent = 'Starting the audit…';
    $('bar').removeAttribute('value');
    show($('progress'), true); $('audit').disabled = true;
    api('POST', '/api/audits', body).then(function (data) {
      job = data.id; poll();
    }).catch(function (e) {
      $('audit').disabled = false; show($('progress'), false); fail(e.message);
    });
  }
  var shown = 0;
  function poll() {
    api('GET', '/api/audits/' + encodeURIComponent(job)).then(function (s) {
      progress(s);
      if (s.state === 'done') { finish(s); return; }
      if (s.state === 'failed') {
        $('audit').disabled = false; show($('progress'), false); fail(s.error); return;
      }
      timer = setTimeout(poll, 250);
    }).catch(function (e) { $('audit').disabled = false; fail(e.message); });
  }
  function progress(s) {
    var text = s.state === 'queued' ? 'Waiting for the audit before it…' :
      'Checked ' + s.checked + ' of ' + (s.total || '…') + ' links';
    if (s.archive_total) {
      text += ' · archived copies looked up ' + s.archive_done + ' of ' + s.archive_total;
    }
    $('progress-text').textContent = text;
    if (s.total) { $('bar').max = s.total; $('bar').value = s.checked; }
    var list = $('live');
    if (s.live.length < shown) { list.textContent = ''; shown = 0; }
    for (var i = shown; i < s.live.length; i++) {
      var li = el('li');
      li.appendChild(el('span', s.live[i].verdict, 'v v-' + s.live[i].verdict));
      li.appendChild(document.createTextNode(' ' + s.live[i].url));
      list.appendChild(li);
    }
    shown = s.live.length;
  }
  function finish(s) {
    shown = 0;
    $('audit').disabled = false; show($('progress'), false);
    $('summary').textContent = s.summary;
    var body = $('rows'); body.textContent = '';
    s.findings.forEach(function (f) {
      var tr = el('tr'); tr.setAttribute('data-verdict', f.verdict);
      var v = el('td'); v.appendChild(el('span', f.verdict, 'v v-' + f.verdict));
      v.appendChild(el('div', f.reason, 'muted')); tr.appendChild(v);
      var t = el('td', f.text); t.appendChild(el('div', 'line ' + f.line, 'muted'));
      tr.appendChild(t);
      var u = el('td'); u.appendChild(link(f.url)); tr.appendChild(u);
      tr.appendChild(el('td', f.todo));
      var a = el('td'); if (f.archive) a.appendChild(link(f.archive, 'archived copy'));
      tr.appendChild(a);
      body.appendChild(tr);
    });
    var boxes = $('repair-boxes'); boxes.textContent = '';
    var any = false;
    Object.keys(s.repairs).forEach(function (name) {
      var label = el('label'); var box = el('input');
      box.type = 'checkbox'; box.value = name; box.checked = s.repairs[name] > 0;
      box.disabled = s.repairs[name] === 0; any = any || s.repairs[name] > 0;
      label.appendChild(box);
      label.appendChild(document.createTextNode(name + ' (' + s.repairs[name] + ')'));
      boxes.appendChild(label);
    });
    show($('repairs'), !!s.target && any);
    $('target-note').textContent = s.target === 'wordpress' ?
      'Repairs are written back to the same WordPress draft after you have seen the diff; ' +
      'its status never changes.' :
      'Repairs give you the repaired file to download.';
    $('report').src = '/audits/' + encodeURIComponent(s.id) + '/report';
    $('report-link').href = $('report').src;
    show($('result'), true);
    window.__desk = s;
  }
  function chosen() {
    return Array.prototype.map.call(
      document.querySelectorAll('#repair-boxes input:checked'), function (b) { return b.value; });
  }
  $('preview').addEventListener('click', function () {
    show($('applied'), false); show($('error'), false);
    api('POST', '/api/audits/' + encodeURIComponent(job) + '/preview', { repairs: chosen() })
      .then(function (p) {
        preview = p;
        $('diff').textContent = p.diff || '(no change)';
        $('edits').textContent = p.edits + ' edit(s)' +
          (p.skipped.length ? '; not repaired: ' + p.skipped.join('; ') : '');
        var download = $('download'); var apply = $('apply');
        show(download, window.__desk.target === 'file' && p.changed);
        show(apply, window.__desk.target === 'wordpress' && p.changed);
        download.href = '/audits/' + encodeURIComponent(job) + '/repaired?repairs=' +
          encodeURIComponent(chosen().join(','));
        show($('repair-out'), true);
      }).catch(function (e) { fail(e.message); });
  });
  $('apply').addEventListener('click', function () {
    $('apply').disabled = true;
    api('POST', '/api/audits/' + encodeURIComponent(job) + '/apply',
        { repairs: chosen(), digest: preview.digest })
      .then(function (r) {
        $('applied').textContent = r.message; show($('applied'), true); show($('apply'), false);
      }).catch(function (e) { fail(e.message); })
      .then(function () { $('apply').disabled = false; });
  });
  choose('url');
})();
"""


def _sha256(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


#: The page may run its own script and style, talk to the desk and frame its reports.
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_sha256(STYLE)}'; "
    f"script-src 'sha256-{_sha256(SCRIPT)}'; "
    "connect-src 'self'; frame-src 'self'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def render_page(
    csrf_token: str, *, public: bool, wordpress_auth: bool, sites: tuple[str, ...] = ()
) -> str:
    """The desk's page; ``csrf_token`` goes into a meta tag for the script's writes."""
    exposure = (
        "Open to other machines: links into private networks are not checked."
        if public
        else "Only this computer can reach this page."
    )
    auth_note = (
        "The application password comes from the desk's environment."
        if wordpress_auth
        else "Set LINKAUDIT_WORDPRESS_AUTH=user:application-password where the desk runs "
        "to read drafts."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="csrf-token" content="{escape(csrf_token)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>linkaudit · the editor's desk</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>linkaudit · the editor's desk</h1>
<p class="muted">Check every link of an article before it is published; see what to do about
each one; put the repairs back. {escape(exposure)} linkaudit {escape(__version__)}</p>
</header>
<main>
<div class="tabs" role="tablist">
<button type="button" role="tab" data-kind="url">Paste a link</button>
<button type="button" role="tab" data-kind="paste">Paste HTML or Markdown</button>
<button type="button" role="tab" data-kind="file">Drop a file</button>
<button type="button" role="tab" data-kind="wordpress">WordPress draft</button>
</div>
<section class="panel" id="panel-url">
<label for="url">The article's address</label>
<input type="url" id="url" placeholder="https://news.example/2024/05/the-story/">
</section>
<section class="panel" id="panel-paste" hidden>
<label for="text">The article's source</label>
<textarea id="text" spellcheck="false" placeholder="&lt;p&gt;Paste HTML or Markdown…"></textarea>
<label for="format">It is</label>
<select id="format"><option value="html">HTML</option>
<option value="markdown">Markdown</option></select>
</section>
<section class="panel" id="panel-file" hidden>
<div id="drop">Drop an .html or .md file here, or
<label for="file">choose one</label><input type="file" id="file" accept=".html,.htm,.md,.markdown">
<p id="drop-name"></p></div>
</section>
<section class="panel" id="panel-wordpress" hidden>
<div class="row"><div><label for="wp-site">Site</label>
<input type="text" id="wp-site" placeholder="https://blog.example"
value="{escape(sites[0] if sites else "")}"></div>
<div><label for="wp-post">Post id (or its editing URL)</label>
<input type="text" id="wp-post" placeholder="123"></div></div>
<p class="muted">{escape(auth_note)} It is never typed into this page.</p>
</section>
<button type="button" class="primary" id="audit">Audit</button>
<div class="error" id="error" role="alert" hidden></div>
<section id="progress" hidden>
<p id="progress-text"></p>
<progress id="bar"></progress>
<ul id="live"></ul>
</section>
<section id="result" hidden>
<h2>Verdicts</h2>
<p class="summary" id="summary"></p>
<table><thead><tr><th>Verdict</th><th>Citation</th><th>URL</th><th>What to do</th>
<th>Archive</th></tr></thead><tbody id="rows"></tbody></table>
<section id="repairs" class="repairs" hidden>
<h2>Repairs</h2>
<p class="muted" id="target-note"></p>
<div id="repair-boxes"></div>
<button type="button" class="secondary" id="preview">Show the repairs</button>
<div id="repair-out" hidden>
<p id="edits" class="muted"></p>
<pre id="diff"></pre>
<a class="button" id="download" href="#" download hidden>Download the repaired file</a>
<button type="button" class="primary" id="apply" hidden>Write the repairs to the draft</button>
<div class="ok-note" id="applied" role="status" hidden></div>
</div>
</section>
<h2>The full report</h2>
<p class="muted"><a id="report-link" href="#" target="_blank" rel="noopener">Open it on its
own</a> to print or share it.</p>
<iframe id="report" title="The audit report"
sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"></iframe>
</section>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
