/* Wijkhulp playground: the real bot talking to several personas, each shown as a Telegram-like phone.
 *
 * Plain ES2020, no framework, no build step, nothing loaded from the internet. The server (app/playground)
 * owns all state; this page only renders /api/state and /api/chats/<persona> and sends what the visitor
 * does. A long poll on /api/events tells when anything changed, and then everything is fetched again.
 * Every start or reset of the playground is a new run, with its own id: a page that sees another run id than
 * the one it built its phones for builds everything afresh (message and toast ids start over in a new run).
 *
 * Safety: only a message's `html` (Telegram's HTML subset, sanitised by the server) goes in as markup, and
 * even that is parsed inert and filtered once more here. Every other string is inserted as text.
 */
(() => {
  'use strict';

  // ---- Labels -------------------------------------------------------------------------------------------
  // The page's own labels follow the page language (toolbar toggle); Telegram's own chrome inside a phone
  // ("bewerkt", "Bericht", ...) follows that persona's Telegram language, as the real app would.
  const PAGE = {
    nl: {
      clock15: '+15 min', clock60: '+1 uur', clockMorning: 'Morgen 07:30', clockReminder: 'Volgende herinnering',
      reset: 'Opnieuw beginnen', tour: 'Rondleiding', back: 'Vorige', next: 'Volgende', close: 'Sluiten',
      confirmReset: 'Alles opnieuw beginnen? Alle gesprekken en de klok gaan terug naar het begin.',
      stepOf: 'Stap {n} van {m}', use: 'Gebruik', as: 'als', tourEmpty: 'Er is geen rondleiding.',
      network: 'De server is niet bereikbaar.', badResponse: 'Onverwacht antwoord van de server.',
      statusOk: 'Verbonden met de server', statusDown: 'Geen verbinding met de server',
      pageLangTitle: 'Taal van deze pagina', personaLangTitle: 'Taal van {name} in Telegram en bij de bot',
      emptyPrivate: 'Nog geen berichten. Begin het gesprek met /start.', emptyGroup: 'Nog geen berichten in deze groep.',
      refused: 'Telegram weigerde: {what}',
    },
    en: {
      clock15: '+15 min', clock60: '+1 hour', clockMorning: 'Tomorrow 07:30', clockReminder: 'Next reminder',
      reset: 'Start over', tour: 'Tour', back: 'Back', next: 'Next', close: 'Close',
      confirmReset: 'Start everything over? All chats and the clock go back to the beginning.',
      stepOf: 'Step {n} of {m}', use: 'Use', as: 'as', tourEmpty: 'There is no tour.',
      network: 'The server cannot be reached.', badResponse: 'Unexpected answer from the server.',
      statusOk: 'Connected to the server', statusDown: 'No connection to the server',
      pageLangTitle: 'Language of this page', personaLangTitle: "{name}'s language in Telegram and with the bot",
      emptyPrivate: 'No messages yet. Start the chat with /start.', emptyGroup: 'No messages in this group yet.',
      refused: 'Telegram refused: {what}',
    },
  };
  const TG = {
    nl: { edited: 'bewerkt', placeholder: 'Bericht', send: 'Versturen', menu: 'Menu', noCommands: 'Geen commando’s', ok: 'OK' },
    en: { edited: 'edited', placeholder: 'Message', send: 'Send', menu: 'Menu', noCommands: 'No commands', ok: 'OK' },
  };
  // Telegram's name/avatar colours.
  const PALETTE = ['#e17076', '#eda86c', '#a695e7', '#7bc862', '#6ec9cb', '#65aadd', '#ee7aae'];
  const NAME_COLOURS = ['#c03d33', '#c7691c', '#8e5bd5', '#3b9a21', '#2a8ea5', '#2f7dc1', '#c2457e'];

  const store = {
    get(key, fallback) { try { const v = localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); } catch { return fallback; } },
    set(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* private mode */ } },
  };

  // ---- State ----------------------------------------------------------------------------------------------
  const S = {
    run: null,              // the run id the phones were built for (null: none yet)
    version: -1,            // -1: nothing loaded yet, or to be loaded again before polling
    refusals: null,         // the stand-in's refusals in the last state of this run (null: none seen yet)
    personas: [],
    personaKey: '',         // which persona list the phones were built for
    phones: new Map(),      // persona id -> phone (see buildPhone)
    pageLang: store.get('playground.lang', 'nl') === 'en' ? 'en' : 'nl',
    tour: { open: !!store.get('playground.tour', false), index: Number(store.get('playground.step', 0)) || 0, steps: [], lang: null },
    online: true,
    pollCtrl: null,
  };

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const enc = encodeURIComponent;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function t(key, vars = {}) {
    const s = PAGE[S.pageLang][key] ?? PAGE.nl[key] ?? key;
    return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
  }
  const tg = (phone, key) => (TG[phone.persona.language] || TG.nl)[key];
  const personaName = (id) => (S.personas.find((p) => p.id === id) || {}).name || id;
  function hashOf(s) { let h = 0; for (const c of String(s)) h = (h * 31 + c.codePointAt(0)) | 0; return Math.abs(h); }

  // ---- API ------------------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  /** Calls the JSON API; throws ApiError with a one-line message (never a body or a stack trace). */
  async function api(method, path, body, signal) {
    let res;
    try {
      // Every POST is JSON, an empty object when there is nothing to say: the server refuses any other (415).
      const post = method !== 'GET' && method !== 'HEAD';
      res = await fetch(path, {
        method, signal, cache: 'no-store',
        headers: post ? { 'Content-Type': 'application/json' } : {},
        body: post ? JSON.stringify(body ?? {}) : undefined,
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(t('network'), 0);
    }
    let data = null;
    try { data = await res.json(); } catch { /* not JSON, e.g. a proxy's error page */ }
    if (!res.ok) {
      const msg = data && typeof data.error === 'string' && data.error.trim()
        ? data.error.trim().split('\n')[0].slice(0, 300)
        : `HTTP ${res.status} ${res.statusText}`.trim();
      throw new ApiError(msg, res.status);
    }
    if (data === null || typeof data !== 'object') throw new ApiError(t('badResponse'), res.status);
    return data;
  }

  // ---- Error bar and connection status ------------------------------------------------------------------
  function showError(err) {
    if (err && err.name === 'AbortError') return;
    const bar = $('[data-testid="error"]');
    $('.error-text', bar).textContent = err instanceof ApiError ? err.message : (err && err.message) || String(err);
    bar.hidden = false;
  }
  function hideError() {
    const bar = $('[data-testid="error"]');
    bar.hidden = true;
    $('.error-text', bar).textContent = '';
  }

  function setOnline(online) {
    if (online === S.online) return;
    S.online = online;
    const dot = $('[data-testid="status"]');
    dot.classList.toggle('down', !online);
    dot.title = t(online ? 'statusOk' : 'statusDown');
    if (!online) showError(new ApiError(t('network'), 0));
    else if ($('.error-text').textContent === t('network')) hideError();
  }

  // ---- Refreshing -----------------------------------------------------------------------------------------
  let refreshing = null;
  let refreshAgain = false;

  /** Fetches state and every chat. Calls made while one runs share one more run after it. */
  function refreshAll() {
    if (refreshing) { refreshAgain = true; return refreshing; }
    refreshing = (async () => {
      try {
        do { refreshAgain = false; await doRefresh(); } while (refreshAgain);
      } finally { refreshing = null; }
    })();
    return refreshing;
  }

  async function doRefresh() {
    const st = await api('GET', '/api/state');
    const version = typeof st.version === 'number' ? st.version : 0;
    const run = typeof st.run === 'string' ? st.run : '';
    // Another run (a reset from here or elsewhere, a restart): build afresh, so that reused message and toast
    // ids count as new. Refusals of a new run are all news to a page that was already open; those already
    // there when the page first loads are history.
    if (run !== S.run) {
      if (S.run !== null) { S.personaKey = ''; S.refusals = []; }
      S.run = run;
    }
    noteRefusals(Array.isArray(st.refusals) ? st.refusals.map(String) : []);
    renderClock(st.clock);
    const personas = Array.isArray(st.personas) ? st.personas : [];
    S.personas = personas;
    const key = JSON.stringify(personas.map((p) => [p.id, p.kind, p.members]));
    if (key !== S.personaKey) { S.personaKey = key; buildPhones(personas); }
    for (const p of personas) { const phone = S.phones.get(p.id); phone.persona = p; updatePhoneChrome(phone); }

    const chats = await Promise.all(personas.map((p) =>
      api('GET', `/api/chats/${enc(p.id)}`).then((c) => [p.id, c], (e) => [p.id, e])));
    S.version = version;
    let failure = null;
    for (const [id, chat] of chats) {
      const phone = S.phones.get(id);
      if (chat instanceof Error) failure = failure || chat;
      else if (phone) renderChat(phone, chat);
    }
    if (failure) throw failure;
  }

  /** Shows the newest of the stand-in's refusals that were not in the last state seen in this run. The
   *  server keeps only the latest few (oldest dropped first): what is new is what follows the longest end of
   *  the old list that the new list starts with. */
  function noteRefusals(list) {
    const old = S.refusals;
    S.refusals = list;
    if (old === null) return;
    let k = Math.min(old.length, list.length);
    while (k > 0 && !list.slice(0, k).every((line, i) => line === old[old.length - k + i])) k -= 1;
    const added = list.slice(k);
    if (added.length) showError(new ApiError(t('refused', { what: added[added.length - 1] }), 0));
  }

  /** Long poll on /api/events; on a new version or another run, fetch everything again. Never ends. */
  async function pollLoop() {
    let starting = '';  // the "starting" message shown while the playground (re)starts, taken away after
    for (;;) {
      if (S.version < 0) {  // nothing loaded yet (or the first load failed): load first
        try {
          await refreshAll();
          setOnline(true);
          if (starting && $('.error-text').textContent === starting) hideError();
          starting = '';
        } catch (e) { failed(e); await sleep(1000); }
        continue;
      }
      const ctrl = new AbortController();
      S.pollCtrl = ctrl;
      const guard = setTimeout(() => ctrl.abort(), 40000);  // the server answers within ~25 s
      try {
        const r = await api('GET', `/api/events?run=${enc(S.run || '')}&since=${S.version}`, null, ctrl.signal);
        setOnline(true);
        if (r.run !== S.run || r.version !== S.version) await refreshAll();
      } catch (e) {
        if (e.name !== 'AbortError') { failed(e); await sleep(1000); }
      } finally { clearTimeout(guard); }
    }
    function failed(e) {
      // After an outage, load everything again before polling: the server may have restarted (a new run,
      // which a fresh /api/state shows).
      if (e instanceof ApiError && e.status === 0) { setOnline(false); S.version = -1; }
      else if (e instanceof ApiError && e.status === 503) {
        // Starting (again): a reset, here or elsewhere. Shown until the new run has loaded.
        S.version = -1;
        starting = e.message;
        showError(e);
      } else showError(e);
    }
  }
  function restartPoll() { if (S.pollCtrl) S.pollCtrl.abort(); }

  function renderClock(clock) {
    if (!clock) return;
    const label = $('[data-testid="clock"]');
    label.textContent = clock.label || clock.now || '';
    label.title = clock.now || '';
  }

  // ---- Phones ---------------------------------------------------------------------------------------------
  function buildPhones(personas) {
    const box = $('[data-testid="phones"]');
    box.textContent = '';
    S.phones.clear();
    for (const p of personas) {
      const phone = buildPhone(p);
      S.phones.set(p.id, phone);
      box.append(phone.el);
    }
    renderTour(false);  // persona names in the tour, and the outline on the new phone
  }

  function buildPhone(persona) {
    const node = $('#phone-template').content.firstElementChild.cloneNode(true);
    const phone = {
      id: persona.id, persona, el: node,
      chatEl: $('.chat', node), listEl: $('.messages', node), emptyEl: $('.empty', node),
      inputEl: $('.input', node), sendEl: $('.send-button', node), menuEl: $('.menu-button', node),
      langEl: $('.lang-toggle', node), asSelect: $('.as-select', node), scrollEl: $('.scroll-down', node),
      msgEls: new Map(),      // message id -> {el, sig}
      shownToasts: new Set(),
      loaded: false,          // toasts already there at the first load are history: not shown
      busy: 0, stick: true, commands: [], recent: [], alerts: [], asKey: '', menu: null, toastTimer: 0,
      replyEl: null, replySig: '[]',  // the reply keyboard, when the bot sent one
    };
    node.dataset.testid = `phone-${persona.id}`;
    node.dataset.persona = persona.id;
    node.classList.toggle('group', persona.kind === 'group');
    phone.langEl.dataset.testid = `lang-${persona.id}`;
    $('.as-row', node).hidden = persona.kind !== 'group';

    phone.langEl.addEventListener('click', () => setPersonaLanguage(phone));
    phone.sendEl.addEventListener('click', () => sendInput(phone));
    phone.inputEl.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendInput(phone); }
      else if (e.key === 'Escape') closeMenu(phone);
    });
    phone.inputEl.addEventListener('input', () => autosize(phone.inputEl));
    phone.menuEl.addEventListener('click', () => (phone.menu ? closeMenu(phone) : openMenu(phone)));
    $('.start-button', node).addEventListener('click', () => send(phone, '/start'));
    phone.chatEl.addEventListener('scroll', () => {
      phone.stick = phone.chatEl.scrollHeight - phone.chatEl.scrollTop - phone.chatEl.clientHeight < 40;
      phone.scrollEl.hidden = phone.stick;
    });
    phone.scrollEl.addEventListener('click', () => phone.chatEl.scrollTo({ top: phone.chatEl.scrollHeight, behavior: 'smooth' }));
    // Spoilers stay blurred until clicked, as in Telegram.
    phone.chatEl.addEventListener('click', (e) => {
      const spoiler = e.target.closest('.tg-spoiler:not(.revealed), tg-spoiler:not(.revealed)');
      if (spoiler) { e.preventDefault(); spoiler.classList.add('revealed'); }
    });
    updatePhoneChrome(phone);
    return phone;
  }

  /** Name, subtitle, avatar, language toggle and the texts that follow the persona's language. */
  function updatePhoneChrome(phone) {
    const p = phone.persona, node = phone.el;
    $('.name', node).textContent = p.name || p.id;
    $('.subtitle', node).textContent = p.subtitle || '';
    const avatar = $('.avatar', node);
    const words = String(p.name || p.id).split(/\s+/).filter((w) => /^[\p{L}\p{N}]/u.test(w));
    avatar.textContent = ((words[0] || '?')[0] + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase();
    avatar.style.background = PALETTE[hashOf(p.id) % PALETTE.length];
    phone.langEl.dataset.lang = p.language === 'en' ? 'en' : 'nl';
    phone.langEl.title = t('personaLangTitle', { name: p.name || p.id });
    phone.inputEl.placeholder = tg(phone, 'placeholder');
    phone.sendEl.setAttribute('aria-label', tg(phone, 'send'));
    phone.sendEl.title = tg(phone, 'send');
    phone.menuEl.title = tg(phone, 'menu');
    $('.empty-text', node).textContent = t(p.kind === 'group' ? 'emptyGroup' : 'emptyPrivate');
    $('.start-button', node).hidden = p.kind === 'group';
    if (p.kind === 'group') {
      $('.as-label', node).textContent = `${t('as')}:`;
      const members = Array.isArray(p.members) ? p.members : [];
      const key = JSON.stringify(members.map((m) => [m, personaName(m)]));
      if (key !== phone.asKey) {  // rebuild the options only when they change, keeping the choice
        phone.asKey = key;
        const chosen = phone.asSelect.value;
        phone.asSelect.textContent = '';
        for (const m of members) {
          const opt = el('option', null, personaName(m));
          opt.value = m;
          phone.asSelect.append(opt);
        }
        if (members.includes(chosen)) phone.asSelect.value = chosen;
      }
    }
  }

  function autosize(area) {
    area.style.height = 'auto';
    area.style.height = `${Math.min(area.scrollHeight, 120)}px`;
  }

  // ---- Rendering a chat -----------------------------------------------------------------------------------
  function renderChat(phone, chat) {
    const messages = Array.isArray(chat.messages) ? chat.messages : [];
    const commands = Array.isArray(chat.commands) ? chat.commands : [];
    const changed = JSON.stringify(commands) !== JSON.stringify(phone.commands);
    phone.commands = commands;
    if (phone.menu && changed) openMenu(phone);  // an open menu follows a language change

    // Keyed update: unchanged bubbles stay (with their revealed spoilers and scroll position).
    const seen = new Set();
    let prev = null;
    for (const m of messages) {
      seen.add(m.id);
      const sig = phone.persona.language + JSON.stringify(m);
      let entry = phone.msgEls.get(m.id);
      if (!entry || entry.sig !== sig) {
        const node = buildMessage(phone, m);
        if (entry) entry.el.replaceWith(node);
        entry = { el: node, sig };
        phone.msgEls.set(m.id, entry);
      }
      const want = prev ? prev.nextSibling : phone.listEl.firstChild;
      if (want !== entry.el) phone.listEl.insertBefore(entry.el, want);
      prev = entry.el;
    }
    for (const [id, entry] of phone.msgEls) {
      if (!seen.has(id)) { entry.el.remove(); phone.msgEls.delete(id); }
    }
    // A bubble gets its tail when it is the last of a run from one sender.
    messages.forEach((m, i) => {
      const next = messages[i + 1];
      const last = !next || next.from_bot !== m.from_bot || next.sender !== m.sender;
      phone.msgEls.get(m.id).el.classList.toggle('tail', last);
    });
    phone.emptyEl.hidden = messages.length > 0;
    renderReplyKeyboard(phone, Array.isArray(chat.keyboard) ? chat.keyboard : []);
    if (phone.busy) lock(phone, true);

    // Follow new messages unless the visitor scrolled up (sending sets stick again).
    if (!phone.loaded || phone.stick) scrollToBottom(phone);
    else phone.scrollEl.hidden = false;

    const toasts = Array.isArray(chat.toasts) ? chat.toasts : [];
    for (const toast of toasts) {
      if (phone.shownToasts.has(toast.id)) continue;
      phone.shownToasts.add(toast.id);
      if (phone.loaded) notify(phone, toast, 'toast');
    }
    phone.loaded = true;
  }

  /** The bot's reply keyboard: large keys between the chat and the input, as in Telegram. A key that asks for
   *  the phone number shares the persona's own; any other sends its text. Rebuilt only when it changes. */
  function renderReplyKeyboard(phone, rows) {
    rows = rows.filter((row) => Array.isArray(row) && row.length);
    const sig = JSON.stringify(rows);
    if (sig === phone.replySig) return;
    phone.replySig = sig;
    if (phone.replyEl) { phone.replyEl.remove(); phone.replyEl = null; }
    if (!rows.length) return;
    const box = el('div', 'reply-keyboard');
    box.dataset.testid = 'reply-keyboard';
    for (const row of rows) {
      const rowEl = el('div', 'reply-row');
      for (const key of row) {
        const text = String((key && key.text) || '');
        const btn = el('button', 'reply-key lockable', text);
        btn.type = 'button';
        btn.title = text;
        btn.dataset.testid = 'reply-key';
        btn.disabled = phone.busy > 0;
        if (key && key.contact) {
          btn.classList.add('contact');
          btn.addEventListener('click', () => shareContact(phone));
        } else {
          btn.addEventListener('click', () => send(phone, text));
        }
        rowEl.append(btn);
      }
      box.append(rowEl);
    }
    phone.replyEl = box;
    $('.chat-area', phone.el).after(box);
  }

  function scrollToBottom(phone) {
    phone.chatEl.scrollTop = phone.chatEl.scrollHeight;
    phone.stick = true;
    phone.scrollEl.hidden = true;
  }

  function buildMessage(phone, m) {
    const wrap = el('div', `msg ${m.from_bot ? 'in' : 'out'}`);
    wrap.dataset.testid = 'message';
    wrap.dataset.messageId = String(m.id);
    const bubble = el('div', 'bubble');
    wrap.append(bubble);

    if (phone.persona.kind === 'group' && !m.from_bot && m.sender) {
      const who = el('div', 'sender', m.sender);
      who.dataset.testid = 'message-sender';
      who.style.color = NAME_COLOURS[hashOf(m.sender) % NAME_COLOURS.length];
      bubble.append(who);
    }
    if (m.photo && m.photo.url) {
      const link = el('a', 'photo');
      link.href = m.photo.url;
      link.target = '_blank';
      link.rel = 'noopener';
      const img = el('img');
      img.src = m.photo.url;
      img.alt = '';
      img.dataset.testid = 'photo';
      img.addEventListener('load', () => { if (phone.stick) scrollToBottom(phone); });
      link.append(img);
      bubble.append(link);
      wrap.classList.add('has-photo');
    }
    if (m.document) bubble.append(buildDocument(phone, m.document));

    const text = el('div', 'text');
    if (m.html) text.append(safeFragment(m.html));
    const meta = (m.edited ? `${tg(phone, 'edited')} ` : '') + (m.time || '');
    // The invisible copy reserves room on the last line so the real label (absolute) never covers text.
    text.append(el('span', 'meta-spacer', meta));
    const label = el('span', 'meta', meta);
    label.dataset.testid = 'message-time';
    bubble.append(text, label);

    if (Array.isArray(m.buttons) && m.buttons.length) wrap.append(buildKeyboard(phone, m));
    return wrap;
  }

  function buildDocument(phone, doc) {
    const row = el('a', 'doc');
    row.dataset.testid = 'document';
    row.href = doc.url;
    row.download = doc.name || '';
    row.title = doc.name || '';
    const ext = String(doc.name || '').split('.').pop();
    const icon = el('span', 'doc-icon', ext && ext !== doc.name ? ext.slice(0, 4) : '');
    const info = el('span', 'doc-info');
    info.append(el('span', 'doc-name', doc.name || 'file'), el('span', 'doc-size', formatSize(phone, doc.size)));
    row.append(icon, info);
    return row;
  }

  function formatSize(phone, size) {
    if (typeof size !== 'number') return '';
    const locale = phone.persona.language === 'en' ? 'en-GB' : 'nl-NL';
    if (size < 1024) return `${size} B`;
    const kb = size / 1024;
    if (kb < 1024) return `${kb.toLocaleString(locale, { maximumFractionDigits: 1 })} KB`;
    return `${(kb / 1024).toLocaleString(locale, { maximumFractionDigits: 1 })} MB`;
  }

  function buildKeyboard(phone, m) {
    const kb = el('div', 'keyboard');
    for (const row of m.buttons) {
      if (!Array.isArray(row) || !row.length) continue;
      const rowEl = el('div', 'kb-row');
      for (const b of row) {
        let btn;
        if (b.url && /^(https?|tg|mailto):/i.test(b.url)) {
          btn = el('a', 'kb-btn url', b.text);
          btn.href = b.url;
          btn.target = '_blank';
          btn.rel = 'noopener noreferrer';
        } else {
          btn = el('button', 'kb-btn lockable', b.text);
          btn.type = 'button';
          btn.disabled = phone.busy > 0;
          btn.addEventListener('click', () => press(phone, m, b, btn));
        }
        btn.dataset.testid = 'inline-button';
        btn.title = b.text;
        rowEl.append(btn);
      }
      kb.append(rowEl);
    }
    return kb;
  }

  // The server already sanitises; this is a second line. Parsed in an inert <template> (no loads, no
  // handlers), then only Telegram's tags and attributes are kept.
  const ALLOWED = new Set(['B', 'STRONG', 'I', 'EM', 'U', 'INS', 'S', 'STRIKE', 'DEL', 'CODE', 'PRE', 'A',
    'BLOCKQUOTE', 'SPAN', 'TG-SPOILER', 'TG-EMOJI', 'BR']);
  const DROPPED = new Set(['SCRIPT', 'STYLE', 'IFRAME', 'OBJECT', 'EMBED', 'TEMPLATE', 'NOSCRIPT', 'SVG', 'MATH']);

  function safeFragment(html) {
    const tpl = document.createElement('template');
    tpl.innerHTML = String(html);
    clean(tpl.content);
    const frag = document.importNode(tpl.content, true);
    for (const a of frag.querySelectorAll('a')) { a.target = '_blank'; a.rel = 'noopener noreferrer'; }
    return frag;
  }
  function clean(parent) {
    for (const node of Array.from(parent.childNodes)) {
      if (node.nodeType === Node.TEXT_NODE) continue;
      if (node.nodeType !== Node.ELEMENT_NODE || DROPPED.has(node.tagName)) { node.remove(); continue; }
      clean(node);
      if (!ALLOWED.has(node.tagName)) { node.replaceWith(...node.childNodes); continue; }
      for (const attr of Array.from(node.attributes)) {
        const name = attr.name.toLowerCase(), tag = node.tagName;
        const keep = (tag === 'A' && name === 'href' && /^(https?|tg|mailto):/i.test(attr.value.trim()))
          || (name === 'class' && ((tag === 'SPAN' && attr.value === 'tg-spoiler') || (tag === 'CODE' && /^language-[\w+-]+$/.test(attr.value))))
          || (tag === 'BLOCKQUOTE' && name === 'expandable');
        if (!keep) node.removeAttribute(attr.name);
      }
    }
  }

  // ---- Toasts and alerts (callback answers) -------------------------------------------------------------
  /** Shows a callback answer. The press reply and the chat's toast list may both carry the same answer:
   *  one from each source within a few seconds is taken as the same one and shown once. */
  function notify(phone, answer, source) {
    const text = String(answer.text || '');
    if (!text) return;
    const alert = !!answer.alert, now = Date.now();
    phone.recent = phone.recent.filter((r) => now - r.at < 8000);
    const twin = phone.recent.findIndex((r) => r.text === text && r.alert === alert && r.source !== source);
    if (twin >= 0) { phone.recent.splice(twin, 1); return; }
    phone.recent.push({ text, alert, source, at: now });
    if (alert) { phone.alerts.push(text); if (phone.alerts.length === 1) showAlert(phone); }
    else showToast(phone, text);
  }

  function showToast(phone, text) {
    const old = $('.toast', phone.el);
    if (old) old.remove();
    clearTimeout(phone.toastTimer);
    const toast = el('div', 'toast', text);
    toast.dataset.testid = 'toast';
    toast.setAttribute('role', 'status');
    phone.el.append(toast);
    const ms = Math.min(6000, Math.max(3000, 2000 + text.length * 40));
    phone.toastTimer = setTimeout(() => toast.remove(), ms);
  }

  function showAlert(phone) {
    const overlay = el('div', 'alert-overlay');
    const box = el('div', 'alert-box');
    box.dataset.testid = 'alert';
    box.setAttribute('role', 'alertdialog');
    const ok = el('button', 'alert-ok', tg(phone, 'ok'));
    ok.type = 'button';
    ok.dataset.testid = 'alert-ok';
    ok.addEventListener('click', () => {
      overlay.remove();
      phone.alerts.shift();
      if (phone.alerts.length) showAlert(phone);
    });
    box.append(el('p', 'alert-text', phone.alerts[0]), ok);
    overlay.append(box);
    phone.el.append(overlay);
    ok.focus();
  }

  // ---- Command menu ---------------------------------------------------------------------------------------
  function openMenu(phone) {
    closeMenu(phone);
    const menu = el('div', 'command-menu');
    menu.dataset.testid = 'command-menu';
    menu.setAttribute('role', 'menu');
    if (!phone.commands.length) menu.append(el('div', 'command-none', tg(phone, 'noCommands')));
    for (const c of phone.commands) {
      const item = el('button', 'command lockable');
      item.type = 'button';
      item.dataset.testid = 'command';
      item.dataset.command = c.command;
      item.setAttribute('role', 'menuitem');
      item.append(el('span', 'command-name', `/${c.command}`), el('span', 'command-desc', c.description || ''));
      item.addEventListener('click', () => { closeMenu(phone); send(phone, `/${c.command}`); });
      menu.append(item);
    }
    phone.menu = menu;
    phone.menuEl.classList.add('open');
    $('.chat-area', phone.el).append(menu);
  }
  function closeMenu(phone) {
    if (!phone.menu) return;
    phone.menu.remove();
    phone.menu = null;
    phone.menuEl.classList.remove('open');
  }
  document.addEventListener('click', (e) => {
    for (const phone of S.phones.values()) {
      if (phone.menu && !phone.menu.contains(e.target) && !phone.menuEl.contains(e.target)) closeMenu(phone);
    }
  });

  // ---- Acting as a persona --------------------------------------------------------------------------------
  function lock(phone, locked) {
    phone.el.classList.toggle('busy', locked);
    for (const node of $$('.lockable', phone.el)) node.disabled = locked;
  }

  /** Runs one request with the phone's input and buttons disabled; returns its answer or null (error shown). */
  async function withBusy(phone, request) {
    phone.busy += 1;
    lock(phone, true);
    try {
      return await request();
    } catch (e) {
      showError(e);
      return null;
    } finally {
      phone.busy -= 1;
      if (!phone.busy) lock(phone, false);
    }
  }

  const actingAs = (phone, body) => (phone.persona.kind === 'group' && phone.asSelect.value ? { ...body, as: phone.asSelect.value } : body);

  /** POSTs for a persona, then refreshes, the phone locked throughout: its buttons come back only once
   *  what the action changed is on screen, so nobody presses a button of a message about to change. */
  function act(phone, action, body) {
    return withBusy(phone, async () => {
      const r = await api('POST', `/api/personas/${enc(phone.id)}/${action}`, body);
      await refreshAll().catch(showError);
      return r;
    });
  }

  async function send(phone, text) {
    text = String(text).trim();
    if (!text || phone.busy) return false;
    phone.stick = true;  // your own message: follow it down
    return !!(await act(phone, 'send', actingAs(phone, { text })));
  }

  async function shareContact(phone) {
    if (phone.busy) return;
    phone.stick = true;  // your own message: follow it down
    await act(phone, 'contact', {});
  }

  async function sendInput(phone) {
    const area = phone.inputEl;
    const text = area.value;
    if (!text.trim() || phone.busy) return;
    area.value = '';  // cleared at once, as Telegram does; given back if the send fails
    autosize(area);
    if (!(await send(phone, text)) && !area.value) { area.value = text; autosize(area); }
    area.focus();
  }

  async function press(phone, m, button, node) {
    if (phone.busy) return;
    const body = { message_id: m.id };
    if (button.data !== null && button.data !== undefined) body.data = button.data;
    else body.button = button.text;
    node.classList.add('pending');
    const r = await act(phone, 'press', actingAs(phone, body));
    node.classList.remove('pending');
    if (r && r.answer) notify(phone, r.answer, 'answer');
  }

  async function setPersonaLanguage(phone) {
    const language = phone.persona.language === 'en' ? 'nl' : 'en';
    await act(phone, 'language', { language });
  }

  // ---- Toolbar --------------------------------------------------------------------------------------------
  async function toolbarAction(button, request) {
    button.disabled = true;
    try {
      const r = await request();
      if (r && r.clock) renderClock(r.clock);
      await refreshAll();
    } catch (e) {
      showError(e);
    } finally {
      button.disabled = false;
    }
  }

  function bindToolbar() {
    const clock = (testid, body) => {
      const b = $(`[data-testid="${testid}"]`);
      b.addEventListener('click', () => toolbarAction(b, () => api('POST', '/api/clock', body)));
    };
    clock('clock-15', { advance_minutes: 15 });
    clock('clock-60', { advance_minutes: 60 });
    clock('clock-morning', { to: 'tomorrow-0730' });
    clock('clock-reminder', { to: 'next-reminder' });

    const reset = $('[data-testid="reset"]');
    reset.addEventListener('click', () => {
      if (!window.confirm(t('confirmReset'))) return;
      toolbarAction(reset, async () => {
        await api('POST', '/api/reset');
        // Everything starts over, ids included: the new run id (in the state loaded next) rebuilds the phones.
        S.version = -1;
        restartPoll();
        hideError();
        setTourStep(0);
      });
    });

    $('[data-testid="page-lang"]').addEventListener('click', () => {
      S.pageLang = S.pageLang === 'nl' ? 'en' : 'nl';
      store.set('playground.lang', S.pageLang);
      applyPageLang();
    });
    $('[data-testid="tour-toggle"]').addEventListener('click', () => setTourOpen(!S.tour.open));
    $('[data-testid="tour-next"]').addEventListener('click', () => setTourStep(S.tour.index + 1));
    $('[data-testid="tour-back"]').addEventListener('click', () => setTourStep(S.tour.index - 1));
    $('[data-testid="error-close"]').addEventListener('click', hideError);
  }

  function applyPageLang() {
    document.documentElement.lang = S.pageLang;
    for (const node of $$('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of $$('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
    $('[data-testid="page-lang"]').dataset.lang = S.pageLang;
    $('[data-testid="status"]').title = t(S.online ? 'statusOk' : 'statusDown');
    for (const phone of S.phones.values()) updatePhoneChrome(phone);
    if (S.tour.open) loadTour(); else renderTour(false);
  }

  // ---- Tour -----------------------------------------------------------------------------------------------
  function setTourOpen(open) {
    S.tour.open = open;
    store.set('playground.tour', open);
    $('[data-testid="tour"]').hidden = !open;
    $('[data-testid="tour-toggle"]').setAttribute('aria-pressed', String(open));
    if (open) loadTour(); else highlightTourPersona(false);
  }

  async function loadTour() {
    const lang = S.pageLang;
    try {
      const r = await api('GET', `/api/tour?language=${enc(lang)}`);
      if (lang !== S.pageLang) return;  // the language changed meanwhile; that load wins
      S.tour.steps = Array.isArray(r.steps) ? r.steps : [];
      S.tour.lang = lang;
      renderTour(true);
    } catch (e) {
      showError(e);
    }
  }

  function setTourStep(index) {
    const max = Math.max(0, S.tour.steps.length - 1);
    S.tour.index = Math.min(Math.max(0, index), max);
    store.set('playground.step', S.tour.index);
    renderTour(true);
  }

  function renderTour(scroll) {
    const { steps } = S.tour;
    S.tour.index = Math.min(Math.max(0, S.tour.index), Math.max(0, steps.length - 1));
    const list = $('.tour-steps');
    list.textContent = '';
    steps.forEach((step, i) => {
      const item = el('li', 'tour-step');
      item.dataset.testid = 'tour-step';
      item.dataset.step = String(i);
      const head = el('button', 'tour-step-head');
      head.type = 'button';
      head.append(el('span', 'tour-num', i + 1), el('span', 'tour-title', step.title || ''));
      head.addEventListener('click', () => setTourStep(i));
      item.append(head);
      if (i === S.tour.index) {
        item.classList.add('current');
        item.setAttribute('aria-current', 'step');
        item.append(tourText(step.text || ''));
        if (step.persona) {
          const chip = el('button', 'tour-persona', `${t('use')}: ${personaName(step.persona)}`);
          chip.type = 'button';
          chip.dataset.testid = 'tour-persona';
          chip.dataset.persona = step.persona;
          chip.addEventListener('click', () => highlightTourPersona(true));
          item.append(chip);
        }
      }
      list.append(item);
    });
    if (!steps.length) list.append(el('li', 'tour-empty', S.tour.lang ? t('tourEmpty') : '…'));
    $('[data-testid="tour-count"]').textContent = steps.length ? t('stepOf', { n: S.tour.index + 1, m: steps.length }) : '';
    $('[data-testid="tour-back"]').disabled = S.tour.index <= 0;
    $('[data-testid="tour-next"]').disabled = S.tour.index >= steps.length - 1;
    if (S.tour.open) {
      highlightTourPersona(scroll);
      const current = $('.tour-step.current', list);
      if (scroll && current) current.scrollIntoView({ block: 'nearest' });
    }
  }

  /** Step text as text, with "/command" shown as code (built as elements, never as markup). */
  function tourText(text) {
    const p = el('p', 'tour-text');
    // A slash after a letter, '<', '/', ':' or '.' is part of something else (a URL, "en/of").
    for (const part of String(text).split(/(?<![\w<\/:.])(\/[a-z_]+\b)/i)) {
      p.append(/^\/[a-z_]+$/i.test(part) ? el('code', null, part) : document.createTextNode(part));
    }
    return p;
  }

  function highlightTourPersona(scroll) {
    const step = S.tour.open ? S.tour.steps[S.tour.index] : null;
    for (const phone of S.phones.values()) {
      const target = !!step && step.persona === phone.id;
      phone.el.classList.toggle('tour-target', target);
      if (target && scroll) phone.el.scrollIntoView({ behavior: 'smooth', block: 'nearest', inline: 'center' });
    }
  }

  // ---- Start ----------------------------------------------------------------------------------------------
  function init() {
    bindToolbar();
    $('[data-testid="tour"]').hidden = !S.tour.open;
    $('[data-testid="tour-toggle"]').setAttribute('aria-pressed', String(S.tour.open));
    applyPageLang();
    pollLoop();
  }
  init();
})();
