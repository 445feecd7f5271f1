// Customer Hub KPI dashboard. Talks to POST /graphql of this hub only, as the signed-in
// caller; draws tiles, a trend and a store ranking as SVG. Every drawn figure carries
// the API's raw number in `data-value` (with `data-kpi`, `data-period`, `data-store`).
'use strict';

(() => {
  const TOKEN_KEY = 'customerHub.dashboard.token';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const SUPPRESSED_TITLE = 'suppressed: fewer than k customers';
  const CONCURRENCY = 4;

  const ROLES = {
    GROUP_ADMIN: ['集团管理员', 'group administrator'],
    GROUP_CRM: ['集团客服', 'group CRM'],
    GROUP_ANALYST: ['集团分析', 'group analyst'],
    STORE_MANAGER: ['店总', 'store manager'],
    SALES_CONSULTANT: ['销售顾问', 'sales consultant'],
    SERVICE_ADVISOR: ['服务顾问', 'service advisor'],
    INSURANCE_SPECIALIST: ['保险专员', 'insurance specialist'],
    PARTS_CLERK: ['配件专员', 'parts clerk'],
    PARTNER: ['合作门店', 'partner'],
    INTEGRATION: ['系统接口', 'integration'],
  };
  const GRAINS = {
    MONTH: { zh: '月', en: 'month', count: 12 },
    QUARTER: { zh: '季度', en: 'quarter', count: 8 },
    YEAR: { zh: '年', en: 'year', count: 3 },
  };

  // The staff's store is read with `me` once signed in (an anonymous `login` answer
  // cannot resolve it).
  const LOGIN = 'mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt ' +
    'staff { username displayName role } } }';
  const ME = '{ me { username displayName role store { code name } } }';
  const CATALOGUE = '{ kpiCatalogue { name zh en definition unit timing dimensions higherIsBetter } }';
  const TOTALS = 'query Totals($name: String!, $period: KpiPeriod!, $from: NaiveDate!, $to: NaiveDate!) { ' +
    'kpi(name: $name, period: $period, from: $from, to: $to) { totals { periodStart periodEnd value suppressed ' +
    'customers previousValue yearEarlierValue } } }';
  const RANKING = 'query Ranking($name: String!, $period: KpiPeriod!, $from: NaiveDate!, $to: NaiveDate!) { ' +
    'kpi(name: $name, groupBy: [STORE], period: $period, from: $from, to: $to) { cells { periodStart ' +
    'dimensions { dimension value label } value suppressed customers } } }';

  const state = {
    token: null,
    user: null,
    catalogue: [],
    tiles: new Map(), // name -> { kpi, status, message, totals, range }
    selected: null,
    grain: 'MONTH',
    generation: 0, // bumped on sign-in/out: late answers of an old session are dropped
    detailSeq: 0,
  };

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- elements

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    return fill(node, attrs, children);
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    return fill(node, attrs, children);
  }

  function fill(node, attrs, children) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function en(text) {
    return el('span', { class: 'en', text });
  }

  // ---------------------------------------------------------------- dates (Asia/Shanghai)

  function shanghaiToday() {
    const now = new Date(Date.now() + 8 * 3600 * 1000);
    return { y: now.getUTCFullYear(), m: now.getUTCMonth() + 1 };
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  function iso(y, m, d) {
    return `${y}-${pad(m)}-${pad(d)}`;
  }

  function monthsFrom(y, m, n) {
    const t = y * 12 + (m - 1) + n;
    return { y: Math.floor(t / 12), m: (t % 12) + 1 };
  }

  function lastDay(y, m) {
    return new Date(Date.UTC(y, m, 0)).getUTCDate();
  }

  // The complete periods the dashboard shows for a grain, last one last: the 12 months,
  // 8 quarters or 3 years before the current one.
  function range(grain) {
    const today = shanghaiToday();
    const step = grain === 'MONTH' ? 1 : grain === 'QUARTER' ? 3 : 12;
    const current = grain === 'MONTH' ? { y: today.y, m: today.m }
      : grain === 'QUARTER' ? { y: today.y, m: today.m - ((today.m - 1) % 3) }
        : { y: today.y, m: 1 };
    const count = GRAINS[grain].count;
    const starts = [];
    for (let i = count; i >= 1; i--) {
      const s = monthsFrom(current.y, current.m, -i * step);
      starts.push(iso(s.y, s.m, 1));
    }
    const end = monthsFrom(current.y, current.m, -1);
    const last = monthsFrom(current.y, current.m, -step);
    return {
      grain,
      starts,
      from: starts[0],
      to: iso(end.y, end.m, lastDay(end.y, end.m)),
      lastFrom: iso(last.y, last.m, 1),
    };
  }

  function periodLabel(grain, start) {
    const [y, m] = String(start).split('-');
    if (grain === 'YEAR') return y;
    if (grain === 'QUARTER') return `${y} Q${Math.floor((Number(m) - 1) / 3) + 1}`;
    return `${y}-${m}`;
  }

  // ---------------------------------------------------------------- numbers

  const grouped0 = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 });
  const grouped2 = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 2 });

  function isNumber(v) {
    return typeof v === 'number' && Number.isFinite(v);
  }

  function format(unit, v) {
    if (!isNumber(v)) return '—';
    if (unit === 'ratio') return `${(v * 100).toFixed(1)}%`;
    if (unit === 'CNY') return `¥${(Math.abs(v) >= 1000 ? grouped0 : grouped2).format(v)}`;
    return (Number.isInteger(v) ? grouped0 : grouped2).format(v);
  }

  // Short figures for axes: 1.2万, 350万, 12%.
  function compact(unit, v) {
    if (!isNumber(v)) return '';
    if (unit === 'ratio') return `${+(v * 100).toFixed(1)}%`;
    const sign = unit === 'CNY' ? '¥' : '';
    const a = Math.abs(v);
    if (a >= 1e8) return `${sign}${+(v / 1e8).toFixed(1)}亿`;
    if (a >= 1e4) return `${sign}${+(v / 1e4).toFixed(1)}万`;
    return `${sign}${+v.toFixed(a < 10 && !Number.isInteger(v) ? 2 : 0)}`;
  }

  // The change against the previous period: percentage points for ratios, else percent.
  function change(kpi, value, previous) {
    if (!isNumber(value) || !isNumber(previous)) return { text: '— 无环比 n/a', tone: 'none' };
    const diff = value - previous;
    const flat = Math.abs(diff) < 1e-12;
    const arrow = flat ? '→' : diff > 0 ? '▲' : '▼';
    let amount;
    if (kpi.unit === 'ratio') amount = `${diff >= 0 ? '+' : ''}${(diff * 100).toFixed(1)} pp`;
    else if (previous !== 0) amount = `${diff >= 0 ? '+' : ''}${((diff / Math.abs(previous)) * 100).toFixed(1)}%`;
    else amount = `${diff >= 0 ? '+' : ''}${format(kpi.unit, diff)}`;
    const tone = flat ? 'flat' : (diff > 0) === kpi.higherIsBetter ? 'good' : 'bad';
    return { text: `${arrow} ${amount} 环比`, tone };
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }

  async function gql(query, variables, token) {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: variables || {} }),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (_) {
      throw new ApiError('NETWORK', '无法连接服务器 · the hub cannot be reached');
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    const errors = body && Array.isArray(body.errors) ? body.errors : [];
    if (errors.length > 0) {
      const first = errors[0] || {};
      const code = (first.extensions && first.extensions.code) || `HTTP_${response.status}`;
      throw new ApiError(String(code), String(first.message || code));
    }
    if (!response.ok || !body || typeof body.data !== 'object' || body.data === null) {
      throw new ApiError(`HTTP_${response.status}`, `服务器错误 · the hub answered HTTP ${response.status}`);
    }
    return body.data;
  }

  // A query as the signed-in caller; an ended session sends the page back to sign-in.
  async function call(query, variables) {
    const generation = state.generation;
    try {
      return await gql(query, variables, state.token);
    } catch (e) {
      if (e.code === 'UNAUTHENTICATED' && generation === state.generation) {
        signOut('会话已结束，请重新登录 · your session ended, please sign in again');
      }
      throw e;
    }
  }

  // Runs `work` over `items`, at most `limit` at a time.
  async function pool(items, limit, work) {
    let next = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        await work(item);
      }
    });
    await Promise.all(workers);
  }

  // ---------------------------------------------------------------- session

  function showSignIn(message) {
    $('board').hidden = true;
    $('who').hidden = true;
    $('signin').hidden = false;
    const error = $('signin-error');
    error.hidden = !message;
    error.textContent = message || '';
    $('signin-submit').disabled = false;
    document.body.dataset.view = 'signin';
    $('username').focus();
  }

  function signOut(message) {
    const token = state.token;
    state.generation++;
    state.token = null;
    state.user = null;
    state.tiles.clear();
    state.selected = null;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      // storage refused: nothing kept
    }
    if (token) gql('mutation { logout }', {}, token).catch(() => {});
    $('tiles').replaceChildren();
    $('detail').hidden = true;
    delete $('detail').dataset.state;
    delete document.body.dataset.tiles;
    $('password').value = '';
    showSignIn(message);
  }

  async function onSignIn(event) {
    event.preventDefault();
    const username = $('username').value.trim();
    const password = $('password').value;
    const error = $('signin-error');
    if (!username || !password) {
      error.hidden = false;
      error.textContent = '请输入用户名和密码 · enter your username and password';
      return;
    }
    $('signin-submit').disabled = true;
    error.hidden = true;
    try {
      const data = await gql(LOGIN, { u: username, p: password }, null);
      const login = data.login;
      if (!login || typeof login.token !== 'string') throw new ApiError('LOGIN', 'no token in the answer');
      state.token = login.token;
      try {
        sessionStorage.setItem(TOKEN_KEY, login.token);
      } catch (_) {
        // storage refused: the session lasts as long as the page
      }
      $('password').value = '';
      let user = login.staff;
      try {
        user = (await gql(ME, {}, login.token)).me || user;
      } catch (_) {
        // the name and role of the login answer will do
      }
      start(user);
    } catch (e) {
      showSignIn(e.message || String(e));
    }
  }

  function showUser(user) {
    const role = ROLES[user.role] || [user.role, ''];
    $('who-name').textContent = user.displayName || user.username;
    $('who-role').textContent = `${role[0]} ${role[1]}${user.store ? ` · ${user.store.code}` : ''}`;
    $('who').hidden = false;
    document.body.dataset.role = user.role;
  }

  // ---------------------------------------------------------------- the board

  async function start(user) {
    state.generation++;
    const generation = state.generation;
    state.user = user;
    showUser(user);
    $('signin').hidden = true;
    $('board').hidden = false;
    $('board-error').hidden = true;
    document.body.dataset.view = 'board';
    delete document.body.dataset.tiles;
    const r = range('MONTH');
    $('asof').textContent = `最近完整月份 ${periodLabel('MONTH', r.lastFrom)}，与上月比较 · ` +
      `last complete month ${periodLabel('MONTH', r.lastFrom)}, change against the month before`;
    let catalogue;
    try {
      catalogue = (await call(CATALOGUE)).kpiCatalogue || [];
    } catch (e) {
      if (generation !== state.generation) return;
      $('board-error').hidden = false;
      $('board-error').textContent = e.message;
      document.body.dataset.tiles = 'failed';
      return;
    }
    if (generation !== state.generation) return;
    state.catalogue = catalogue;
    const tiles = $('tiles');
    tiles.replaceChildren();
    for (const kpi of catalogue) {
      const entry = { kpi, status: 'loading', totals: [], range: r };
      state.tiles.set(kpi.name, entry);
      entry.node = tileNode(entry);
      tiles.append(entry.node);
    }
    await pool(catalogue, CONCURRENCY, async (kpi) => {
      const entry = state.tiles.get(kpi.name);
      try {
        const data = await call(TOTALS, { name: kpi.name, period: 'MONTH', from: r.from, to: r.to });
        entry.totals = (data.kpi && data.kpi.totals) || [];
        entry.status = 'ok';
      } catch (e) {
        entry.status = e.code === 'FORBIDDEN' ? 'forbidden' : 'error';
        entry.message = e.message;
      }
      if (generation !== state.generation) return;
      const node = tileNode(entry);
      entry.node.replaceWith(node);
      entry.node = node;
    });
    if (generation !== state.generation) return;
    document.body.dataset.tiles = 'ready';
    const first = catalogue.find((k) => state.tiles.get(k.name).status === 'ok');
    if (first) select(first.name);
  }

  function tileNode(entry) {
    const { kpi, range: r } = entry;
    const node = el('button', { type: 'button', class: 'tile', 'data-kpi': kpi.name, title: kpi.definition },
      el('div', { class: 'tile-zh', text: kpi.zh }),
      el('div', { class: 'tile-en', text: kpi.en }));
    const value = el('div', { class: 'tile-value', 'data-kpi': kpi.name, 'data-period': r.lastFrom });
    node.append(value);
    if (entry.status === 'loading') {
      node.classList.add('loading');
      value.dataset.state = 'loading';
      value.textContent = '···';
      return node;
    }
    if (entry.status === 'forbidden') {
      node.disabled = true;
      value.classList.add('na');
      value.dataset.state = 'forbidden';
      value.append('本角色不可查看', el('br'), en('not available for your role'));
      return node;
    }
    if (entry.status === 'error') {
      node.disabled = true;
      value.classList.add('na');
      value.dataset.state = 'error';
      value.textContent = entry.message || 'error';
      return node;
    }
    const cell = entry.totals.find((c) => c.periodStart === r.lastFrom);
    if (!cell) {
      value.classList.add('na');
      value.dataset.state = 'empty';
      value.append('本月无数据', el('br'), en('no data for the month'));
    } else if (cell.suppressed) {
      value.classList.add('suppressed');
      value.dataset.state = 'suppressed';
      value.title = SUPPRESSED_TITLE;
      value.textContent = '—';
    } else if (!isNumber(cell.value)) {
      value.classList.add('na');
      value.dataset.state = 'empty';
      value.append('无可计算值', el('br'), en('no value (nothing to divide by)'));
    } else {
      value.dataset.state = 'ok';
      value.dataset.value = String(cell.value);
      value.textContent = format(kpi.unit, cell.value);
      value.title = `${periodLabel('MONTH', r.lastFrom)}: ${cell.value}` +
        (isNumber(cell.customers) ? ` · ${cell.customers} customers` : '');
    }
    const delta = !cell ? { text: '', tone: 'none' }
      : cell.suppressed ? { text: '已隐藏 suppressed', tone: 'none' }
        : change(kpi, cell.value, cell.previousValue);
    node.append(el('div', { class: 'tile-foot' },
      el('span', { class: `change ${delta.tone}`, text: delta.text }),
      sparkline(entry)));
    if (state.selected === kpi.name) node.classList.add('selected');
    node.addEventListener('click', () => select(kpi.name));
    return node;
  }

  function sparkline(entry) {
    const byStart = new Map(entry.totals.map((c) => [c.periodStart, c]));
    const values = entry.range.starts.map((s) => {
      const c = byStart.get(s);
      return c && !c.suppressed && isNumber(c.value) ? c.value : null;
    });
    const present = values.filter(isNumber);
    const w = 96;
    const h = 28;
    const box = svg('svg', { class: 'spark', viewBox: `0 0 ${w} ${h}`, width: w, height: h, 'aria-hidden': 'true' });
    if (present.length < 2) return box;
    const lo = Math.min(...present);
    const hi = Math.max(...present);
    const x = (i) => 2 + (i * (w - 4)) / (values.length - 1);
    const y = (v) => (hi === lo ? h / 2 : h - 3 - ((v - lo) * (h - 6)) / (hi - lo));
    const points = values.map((v, i) => (isNumber(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
      .filter(Boolean).join(' ');
    box.append(svg('polyline', { points }));
    const lastIndex = values.length - 1;
    if (isNumber(values[lastIndex])) box.append(svg('circle', { cx: x(lastIndex), cy: y(values[lastIndex]), r: 2.2 }));
    return box;
  }

  // ---------------------------------------------------------------- detail

  function select(name) {
    const entry = state.tiles.get(name);
    if (!entry || entry.status !== 'ok') return;
    state.selected = name;
    for (const tile of $('tiles').children) tile.classList.toggle('selected', tile.dataset.kpi === name);
    const { kpi } = entry;
    const title = $('detail-title');
    title.replaceChildren(kpi.zh, en(kpi.en));
    $('detail-definition').textContent = kpi.definition;
    $('detail').hidden = false;
    loadDetail();
  }

  function setGrain(grain) {
    if (!GRAINS[grain]) return;
    state.grain = grain;
    for (const b of document.querySelectorAll('.periods button')) b.classList.toggle('on', b.dataset.grain === grain);
    if (state.selected) loadDetail();
  }

  async function loadDetail() {
    const seq = ++state.detailSeq;
    const entry = state.tiles.get(state.selected);
    if (!entry) return;
    const { kpi } = entry;
    const grain = state.grain;
    const r = range(grain);
    const detail = $('detail');
    detail.dataset.state = 'loading';
    detail.dataset.kpi = kpi.name;
    detail.dataset.grain = grain;
    detail.dataset.from = r.from;
    detail.dataset.to = r.to;
    detail.dataset.last = r.lastFrom;
    $('ranking-period').textContent = `${periodLabel(grain, r.lastFrom)}`;
    const vars = { name: kpi.name, period: grain };
    const byStore = (kpi.dimensions || []).includes('STORE');
    const trend = call(TOTALS, { ...vars, from: r.from, to: r.to });
    const ranking = byStore ? call(RANKING, { ...vars, from: r.lastFrom, to: r.to }) : Promise.resolve(null);
    const [t, k] = await Promise.allSettled([trend, ranking]);
    if (seq !== state.detailSeq) return;
    if (t.status === 'fulfilled') drawTrend(kpi, r, (t.value.kpi && t.value.kpi.totals) || []);
    else $('trend').replaceChildren(el('div', { class: 'empty', text: t.reason.message }));
    if (!byStore) {
      $('ranking').replaceChildren(el('div', { class: 'empty' }, '此指标不分门店', el('br'),
        en('this KPI has no store breakdown')));
    } else if (k.status === 'fulfilled') {
      drawRanking(kpi, r, (k.value && k.value.kpi && k.value.kpi.cells) || []);
    } else {
      $('ranking').replaceChildren(el('div', { class: 'empty', text: k.reason.message }));
    }
    detail.dataset.state = 'ready';
  }

  // Round steps for an axis from lo to hi.
  function ticks(lo, hi, count) {
    if (!(hi > lo)) {
      const spread = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
      return ticks(lo - spread, hi + spread, count);
    }
    const raw = (hi - lo) / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
    const out = [];
    for (let v = Math.floor(lo / step) * step; v <= hi + step * 0.5 && out.length < 20; v += step) {
      out.push(+v.toFixed(12));
    }
    return out;
  }

  function drawTrend(kpi, r, totals) {
    const target = $('trend');
    const byStart = new Map(totals.map((c) => [c.periodStart, c]));
    const cells = r.starts.map((s) => byStart.get(s) || null);
    const values = cells.map((c) => (c && !c.suppressed && isNumber(c.value) ? c.value : null));
    const ago = cells.map((c) => (c && isNumber(c.yearEarlierValue) ? c.yearEarlierValue : null));
    const all = values.concat(ago).filter(isNumber);
    if (all.length === 0) {
      target.replaceChildren(el('div', { class: 'empty' }, '这段时间没有可显示的数值', el('br'),
        en('nothing to show for these periods')));
      return;
    }
    const W = 760;
    const H = 290;
    const m = { l: 62, r: 22, t: 24, b: 40 };
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (lo > 0 && lo < hi * 0.5) lo = 0;
    const axis = ticks(lo, hi, 5);
    lo = axis[0];
    hi = axis[axis.length - 1];
    const n = r.starts.length;
    const x = (i) => m.l + (n === 1 ? (W - m.l - m.r) / 2 : (i * (W - m.l - m.r)) / (n - 1));
    const y = (v) => m.t + (H - m.t - m.b) * (hi === lo ? 0.5 : (hi - v) / (hi - lo));
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
      'aria-label': `${kpi.en}, ${GRAINS[r.grain].en}ly trend` });
    for (const v of axis) {
      chart.append(svg('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
      chart.append(svg('text', { x: m.l - 8, y: y(v) + 4, 'text-anchor': 'end', text: compact(kpi.unit, v) }));
    }
    chart.append(svg('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }));
    const every = n > 12 ? 2 : 1;
    r.starts.forEach((s, i) => {
      if (i % every === 0 || i === n - 1) {
        chart.append(svg('text', { x: x(i), y: H - m.b + 18, 'text-anchor': 'middle', text: periodLabel(r.grain, s) }));
      }
    });
    const path = (series) => {
      let d = '';
      let pen = false;
      series.forEach((v, i) => {
        if (!isNumber(v)) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
        pen = true;
      });
      return d.trim();
    };
    const agoPath = path(ago);
    if (agoPath) chart.append(svg('path', { class: 'ago', d: agoPath }));
    const nowPath = path(values);
    if (nowPath) chart.append(svg('path', { class: 'line', d: nowPath }));
    cells.forEach((c, i) => {
      const label = periodLabel(r.grain, r.starts[i]);
      if (c && c.suppressed) {
        chart.append(svg('text', { x: x(i), y: H - m.b - 6, 'text-anchor': 'middle', 'data-state': 'suppressed',
          'data-kpi': kpi.name, 'data-period': r.starts[i], text: '—' }, svg('title', { text: SUPPRESSED_TITLE })));
        return;
      }
      if (!isNumber(values[i])) return;
      const last = i === n - 1;
      chart.append(svg('circle', { class: last ? 'pt last' : 'pt', cx: x(i), cy: y(values[i]), r: last ? 4.5 : 3.5,
        'data-kpi': kpi.name, 'data-period': r.starts[i], 'data-value': String(values[i]) },
      svg('title', { text: `${label}: ${format(kpi.unit, values[i])}` +
        (isNumber(ago[i]) ? ` (上年同期 a year earlier ${format(kpi.unit, ago[i])})` : '') })));
      if (last || n <= 8) {
        chart.append(svg('text', { class: 'pt-label', x: x(i), y: y(values[i]) - 10, 'text-anchor': 'middle',
          text: compact(kpi.unit, values[i]) }));
      }
    });
    target.replaceChildren(chart);
  }

  function drawRanking(kpi, r, cells) {
    const target = $('ranking');
    const rows = cells
      .filter((c) => c.periodStart === r.lastFrom)
      .map((c) => {
        const dim = (c.dimensions || []).find((d) => d.dimension === 'STORE') || { value: '?', label: '?' };
        const shown = !c.suppressed && isNumber(c.value);
        return { code: dim.value, label: dim.label, value: shown ? c.value : null, suppressed: !!c.suppressed };
      });
    if (rows.length === 0) {
      target.replaceChildren(el('div', { class: 'empty' }, '本期没有门店数据', el('br'), en('no store figures')));
      return;
    }
    const sign = kpi.higherIsBetter ? -1 : 1;
    rows.sort((a, b) => {
      if (isNumber(a.value) && isNumber(b.value) && a.value !== b.value) return sign * (a.value - b.value);
      if (isNumber(a.value) !== isNumber(b.value)) return isNumber(a.value) ? -1 : 1;
      return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
    });
    const W = 520;
    const rowH = 30;
    const m = { l: 150, r: 78, t: 6, b: 6 };
    const H = m.t + m.b + rows.length * rowH;
    const present = rows.map((x) => x.value).filter(isNumber);
    const hi = Math.max(0, ...present);
    const lo = Math.min(0, ...present);
    const scale = (v) => ((v - lo) * (W - m.l - m.r)) / (hi - lo || 1);
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${kpi.en} by store` });
    rows.forEach((row, i) => {
      const top = m.t + i * rowH;
      const mid = top + rowH / 2;
      chart.append(svg('text', { class: 'bar-label', x: m.l - 10, y: mid + 4, 'text-anchor': 'end',
        text: `${row.label}` }, svg('title', { text: `${row.code} ${row.label}` })));
      if (isNumber(row.value)) {
        const x0 = m.l + scale(Math.min(0, row.value));
        const width = Math.max(1, Math.abs(scale(row.value) - scale(0)));
        chart.append(svg('rect', { class: i === 0 ? 'bar top' : 'bar', x: x0, y: top + 5, width, height: rowH - 10,
          rx: 3, 'data-kpi': kpi.name, 'data-store': row.code, 'data-period': r.lastFrom,
          'data-value': String(row.value) }, svg('title', { text: `${row.label}: ${format(kpi.unit, row.value)}` })));
        chart.append(svg('text', { class: 'bar-value', x: x0 + width + 6, y: mid + 4, text: format(kpi.unit, row.value) }));
      } else {
        chart.append(svg('text', { class: 'bar-value suppressed', x: m.l + 6, y: mid + 4, 'data-kpi': kpi.name,
          'data-store': row.code, 'data-period': r.lastFrom, 'data-state': row.suppressed ? 'suppressed' : 'empty',
          text: '—' }, svg('title', { text: row.suppressed ? SUPPRESSED_TITLE : 'no value' })));
      }
    });
    target.replaceChildren(chart);
  }

  // ---------------------------------------------------------------- boot

  async function boot() {
    $('signin-form').addEventListener('submit', onSignIn);
    $('sign-out').addEventListener('click', () => signOut(''));
    for (const b of document.querySelectorAll('.periods button')) {
      b.addEventListener('click', () => setGrain(b.dataset.grain));
    }
    let token = null;
    try {
      token = sessionStorage.getItem(TOKEN_KEY);
    } catch (_) {
      token = null;
    }
    if (!token) {
      showSignIn('');
      return;
    }
    state.token = token;
    try {
      const data = await gql(ME, {}, token);
      start(data.me);
    } catch (_) {
      state.token = null;
      try {
        sessionStorage.removeItem(TOKEN_KEY);
      } catch (__) {
        // nothing kept
      }
      showSignIn('');
    }
  }

  boot();
})();
