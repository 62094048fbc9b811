import { t, has, pickLanguage, loadLanguage, translatePage, format } from './i18n.js';
import { api, relayApi, ApiError, useSession } from './api.js';
import { wirePos, showPos } from './pos.js';

const query = new URLSearchParams(location.search);
// The platform whose administration frames the page; Shopware's module link names none.
const platform = query.get('platform') ?? 'shopware';
const SHOPER_SDK = 'https://dcsaascdn.net/js/dc-sdk-1.0.5.min.js';
const CONSTANT = '__constant';
const MULTI = '__multi';

// Shopware's admin shows a spinner until this arrives and an error after 5 s, so it goes out first.
if (platform === 'shopware' && window.parent !== window) window.parent.postMessage('sw-app-loaded', '*');

const $ = (id) => document.getElementById(id);

/** Builds an element; text is always set as text, never as HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') element.textContent = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.filter((c) => c !== undefined && c !== null));
  return element;
}

const state = {
  targets: [],
  shopFields: null,
  settings: null,
  targetFields: null,
  mappingKind: 'customers',
  mapping: { customers: [], subscribers: [] },
  syncTimer: 0,
  ordersTimer: 0,
  orderStatuses: null,
  activeTab: 'connection',
  shopConnection: null,
};

// ---- Platform SDKs -----------------------------------------------------------------------------

let shopApp = null;

// Shoper's admin waits for init/show from its ShopApp SDK, and sizes the iframe on adjustIframeSize.
function startShoperSdk() {
  const script = h('script', { src: SHOPER_SDK, async: true });
  script.addEventListener('load', () => {
    if (typeof window.ShopApp !== 'function') return;
    new window.ShopApp((app) => {
      app.init(null, (_params, ready) => {
        shopApp = ready;
        ready.show(null, () => ready.adjustIframeSize());
      }, (error) => console.warn('ShopApp init failed', error));
    }, true);
  });
  script.addEventListener('error', () => console.warn('The ShopApp SDK could not be loaded.'));
  document.head.append(script);
}

function resized() {
  try { shopApp?.adjustIframeSize(); } catch { /* the SDK is optional for the page to work */ }
}

// ---- Session -----------------------------------------------------------------------------------

function storageKey() {
  return `relay-admin-session:${query.get('shop') ?? ''}`;
}

/** The token from the fragment (then removed from the address bar), or the one this tab already had. */
function readSession() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('session');
  if (token) {
    try { sessionStorage.setItem(storageKey(), token); } catch { /* storage may be blocked in third-party frames */ }
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  try { return sessionStorage.getItem(storageKey()); } catch { return null; }
}

/** The token's claims, unverified: only to pick a language and to match the shop in the address. The API verifies. */
function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = part + '='.repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function fatal(message) {
  $('loading').hidden = true;
  $('app').hidden = true;
  showBanner(message);
  resized();
}

function showBanner(message, tone = 'error') {
  const banner = $('banner');
  banner.className = tone === 'warn' ? 'banner warn' : 'banner';
  banner.textContent = message;
  banner.hidden = !message;
}

// ---- Results -----------------------------------------------------------------------------------

function showResult(id, tone, message, details = []) {
  const box = $(id);
  box.className = `result ${tone}`;
  box.replaceChildren(h('span', { text: message }));
  if (details.length) box.append(h('ul', {}, ...details.map((d) => h('li', { text: d }))));
  resized();
}

function clearResult(id) {
  $(id).replaceChildren();
  $(id).className = 'result';
}

function showError(id, error) {
  if (error instanceof ApiError && error.status === 401) showBanner(t('error.session'));
  const details = error instanceof ApiError && error.errors ? Object.values(error.errors).flat() : [];
  showResult(id, 'error', error instanceof ApiError ? error.message : `${t('error.generic')}: ${error.message}`, details);
  if (error instanceof ApiError && error.status === 409 && error.problem?.currentVersion !== undefined) {
    $(id).append(' ', h('button', { type: 'button', class: 'small', text: t('reload'), onclick: () => location.reload() }));
  }
  markInvalid(error instanceof ApiError ? error.errors : null);
}

/** Marks the inputs a validation problem names (keys such as "target.credentials.apiKey"). */
function markInvalid(errors) {
  for (const element of document.querySelectorAll('[aria-invalid="true"]')) element.removeAttribute('aria-invalid');
  for (const key of Object.keys(errors ?? {})) {
    const id = {
      'target.kind': 'target-kind',
      'target.baseUrl': 'target-base-url',
      pullIntervalMinutes: 'pull-interval',
      timeZone: 'time-zone',
      uniqueKey: 'unique-key',
      syncEnabled: 'sync-enabled',
      lists: 'lists-manual',
    }[key] ?? (key.startsWith('target.credentials.') ? `cred-${key.slice(19)}` : key.startsWith('target.options.') ? `opt-${key.slice(15)}` : null);
    if (id && $(id)) $(id).setAttribute('aria-invalid', 'true');
  }
}

// ---- Tabs --------------------------------------------------------------------------------------

const tabs = () => [...document.querySelectorAll('.tabs [role="tab"]')];

function selectTab(name, focus = false) {
  state.activeTab = name;
  for (const tab of tabs()) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
    $(tab.getAttribute('aria-controls')).hidden = !selected;
  }
  onTabShown(name);
  resized();
}

function wireTabs() {
  for (const tab of tabs()) {
    tab.addEventListener('click', () => selectTab(tab.id.slice(4)));
    tab.addEventListener('keydown', (event) => {
      const all = tabs();
      const index = all.indexOf(tab);
      const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: all.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      selectTab(all[(next + all.length) % all.length].id.slice(4), true);
    });
  }
}

function onTabShown(name) {
  if (name === 'mapping' || name === 'options') ensureTargetFields();
  if (name === 'sync') refreshSync();
  if (name === 'orders') { renderOrders(); refreshOrderSync(); }
  if (name === 'activity') { loadActivity(); loadDeadLetters(); }
  if (name === 'status') loadStatus();
  if (name === 'pos') showPos();
}

// ---- Connection --------------------------------------------------------------------------------

const provider = () => state.targets.find((p) => p.kind === $('target-kind').value) ?? null;
const savedTarget = () => state.settings?.target ?? null;
const savedSameKind = () => savedTarget() && savedTarget().kind === $('target-kind').value ? savedTarget() : null;

function renderConnection() {
  const select = $('target-kind');
  select.replaceChildren(h('option', { value: '', text: t('connection.choose') }),
    ...state.targets.map((p) => h('option', { value: p.kind, text: p.displayName })));
  select.value = savedTarget()?.kind ?? '';
  $('target-base-url').value = savedTarget()?.baseUrl ?? '';
  renderCredentialFields();
  renderTargetOptions();
}

function renderCredentialFields() {
  const current = provider();
  const stored = savedSameKind()?.credentialsSet ?? [];
  $('credentials').hidden = !current;
  $('credential-fields').replaceChildren(...(current?.credentialNames ?? []).map((name) => {
    const isStored = stored.includes(name);
    return h('div', { class: 'field' },
      h('label', { for: `cred-${name}`, text: has(`cred.${name}`) ? t(`cred.${name}`) : name }),
      // Write-only: the relay never sends a stored value back, so the box stays empty and says it is set.
      h('input', {
        id: `cred-${name}`, type: 'password', autocomplete: 'new-password', spellcheck: 'false',
        'data-credential': name, placeholder: isStored ? '••••••••' : '',
        'aria-describedby': isStored ? `cred-${name}-hint` : undefined,
      }),
      isStored ? h('small', { id: `cred-${name}-hint`, class: 'muted', text: t('connection.storedHint') }) : null);
  }));
  resized();
}

function renderTargetOptions() {
  const current = provider();
  const saved = savedSameKind()?.options ?? {};
  $('target-options-group').hidden = !current || current.optionNames.length === 0;
  $('target-option-fields').replaceChildren(...(current?.optionNames ?? []).map((name) => h('div', { class: 'field' },
    h('label', { for: `opt-${name}`, text: has(`opt.${name}`) ? t(`opt.${name}`) : name }),
    h('input', { id: `opt-${name}`, type: 'text', autocomplete: 'off', 'data-option': name, value: saved[name] ?? '' }))));
}

/** What the merchant entered; blank credentials are left out so that the stored ones are kept. */
function enteredTarget() {
  const kind = $('target-kind').value;
  if (!kind) return null;
  const credentials = {};
  for (const input of document.querySelectorAll('[data-credential]')) if (input.value.trim()) credentials[input.dataset.credential] = input.value.trim();
  const options = {};
  for (const input of document.querySelectorAll('[data-option]')) options[input.dataset.option] = input.value.trim();
  return { kind, baseUrl: $('target-base-url').value.trim() || null, credentials, options };
}

async function testConnection() {
  const button = $('test-connection');
  button.disabled = true;
  showResult('connection-result', 'info', t('connection.testing'));
  try {
    const result = await api('POST', '/targets/test', { target: enteredTarget() });
    markInvalid(null);
    if (result.ok) {
      showResult('connection-result', 'ok', `${t('connection.ok')} ${result.message}`);
      // The shop's statuses may have changed since the pairing was made: each test loads them again.
      loadOrderStatuses({ target: enteredTarget() });
    }
    else showResult('connection-result', 'error', `${t('connection.failed')}: ${t(`outcome.${result.outcome}`)}`, [result.message]);
  } catch (error) {
    showError('connection-result', error);
  } finally {
    button.disabled = false;
  }
}

// ---- Shop connection ---------------------------------------------------------------------------
// Offered by the shop's platform (modes, fields, deprecation); the platform's own route tests and stores the choice.

const chosenShopMode = () => document.querySelector('input[name="shop-connection-mode"]:checked')?.value ?? null;

async function loadShopConnection() {
  const offer = await api('GET', '/shop-connection');
  state.shopConnection = offer;
  $('shop-connection').hidden = offer.modes.length === 0;
  if (offer.modes.length === 0) return;
  const current = await relayApi('GET', offer.path);
  renderShopConnection(current.mode);
}

function renderShopConnection(currentMode) {
  const { modes, platformName } = state.shopConnection;
  $('shop-connection-modes').replaceChildren(...modes.map((mode) => {
    const id = `shop-mode-${mode.id}`;
    const label = t(mode.labelKey) + (mode.recommended ? ` (${t('shopConnection.recommended')})` : '');
    return h('div', {},
      h('div', { class: 'field check' },
        h('input', { type: 'radio', name: 'shop-connection-mode', id, value: mode.id, checked: mode.id === currentMode, onchange: renderShopConnectionFields,
          'aria-describedby': mode.deprecated ? `${id}-note` : undefined }),
        h('label', { for: id, text: label + (mode.id === currentMode ? ` — ${t('shopConnection.inUse')}` : '') })),
      // The deprecation is said beside the choice, before anything is entered: it is a fallback only.
      mode.deprecated ? h('p', { id: `${id}-note`, class: 'note warn', text: t('shopConnection.deprecated', { platform: platformName }) }) : null);
  }));
  renderShopConnectionFields();
}

function renderShopConnectionFields() {
  const mode = state.shopConnection.modes.find((m) => m.id === chosenShopMode());
  $('shop-connection-fields').replaceChildren(...(mode?.fields ?? []).map((field) => h('div', { class: 'field' },
    h('label', { for: `shop-field-${field.name}`, text: t(field.labelKey) + (field.optional ? ` (${t('shopConnection.optional')})` : '') }),
    h('input', {
      id: `shop-field-${field.name}`, 'data-shop-field': field.name, type: field.secret ? 'password' : 'text', spellcheck: 'false',
      autocomplete: field.secret ? 'new-password' : 'off', 'aria-describedby': field.hintKey ? `shop-field-${field.name}-hint` : undefined,
    }),
    field.hintKey ? h('small', { id: `shop-field-${field.name}-hint`, class: 'muted', text: t(field.hintKey) }) : null)));
  resized();
}

async function saveShopConnection() {
  const mode = chosenShopMode();
  if (!mode) return showResult('shop-connection-result', 'error', t('shopConnection.choose'));
  const body = { mode };
  for (const input of document.querySelectorAll('[data-shop-field]')) body[input.dataset.shopField] = input.value.trim() || null;
  const button = $('save-shop-connection');
  button.disabled = true;
  showResult('shop-connection-result', 'info', t('shopConnection.testing'));
  try {
    const saved = await relayApi('PUT', state.shopConnection.path, body);
    renderShopConnection(saved.mode);
    showResult('shop-connection-result', 'ok', t('saved'));
    loadStatus();
  } catch (error) {
    showError('shop-connection-result', error);
  } finally {
    button.disabled = false;
  }
}

// ---- Mapping -----------------------------------------------------------------------------------

const copyRules = (mapping) => (mapping?.rules ?? []).map((r) => ({ ...r, sources: [...(r.sources ?? [])], transforms: [...(r.transforms ?? [])] }));
const fieldLabel = (name) => has(`field.${name}`) ? t(`field.${name}`) : name;
const tabLabel = (kind) => t(`mapping.${kind}`);

function selectMappingKind(kind, focus = false) {
  state.mappingKind = kind;
  for (const tab of document.querySelectorAll('.subtabs [role="tab"]')) {
    const selected = tab.dataset.kind === kind;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
    if (selected) $('mapping-table').setAttribute('aria-labelledby', tab.id);
  }
  renderMapping();
}

function targetFieldOptions(current) {
  const standard = state.shopFields.standardTargetFields;
  const described = state.targetFields?.fields ?? [];
  const known = new Set([...standard, ...described.map((f) => f.id)]);
  const groups = [
    h('option', { value: '', text: t('mapping.chooseField') }),
    h('optgroup', { label: t('mapping.standardFields') }, ...standard.map((f) => h('option', { value: f, text: fieldLabel(f) }))),
  ];
  if (described.length) {
    groups.push(h('optgroup', { label: t('mapping.targetFields') },
      ...described.map((f) => h('option', { value: f.id, text: `${f.label}${f.required ? ' *' : ''} (${f.type})` }))));
  }
  if (current && !known.has(current)) groups.push(h('option', { value: current, text: current }));
  return groups;
}

function renderMapping() {
  const kind = state.mappingKind;
  const rules = state.mapping[kind];
  const shopFields = kind === 'customers' ? state.shopFields.customers : state.shopFields.subscribers;
  const rows = rules.map((rule, index) => {
    const row = index + 1;
    const targetName = rule.target ? fieldLabel(rule.target) : String(row);

    const target = h('select', { 'aria-label': `${t('mapping.target')}, ${row}`, 'data-role': 'target' }, ...targetFieldOptions(rule.target));
    target.value = rule.target ?? '';
    target.addEventListener('change', () => { rule.target = target.value; });

    const constantInput = h('input', { type: 'text', 'aria-label': `${t('mapping.fixedValue')}, ${row}`, value: rule.constant ?? '', 'data-role': 'constant' });
    constantInput.addEventListener('input', () => { rule.constant = constantInput.value; });
    const sourceChoices = [
      h('option', { value: '', text: t('mapping.chooseField') }),
      ...shopFields.map((f) => h('option', { value: f, text: fieldLabel(f) })),
      h('option', { value: CONSTANT, text: t('mapping.fixed') }),
    ];
    if (rule.sources.length > 1) sourceChoices.push(h('option', { value: MULTI, text: rule.sources.map(fieldLabel).join(' + ') }));
    // Custom fields ("customFields.color") and names this page does not list stay selectable as saved.
    if (rule.sources.length === 1 && !shopFields.includes(rule.sources[0])) sourceChoices.push(h('option', { value: rule.sources[0], text: rule.sources[0] }));
    const source = h('select', { 'aria-label': `${t('mapping.source')}, ${row}`, 'data-role': 'source' }, ...sourceChoices);
    source.value = rule.sources.length > 1 ? MULTI : rule.sources.length === 1 ? rule.sources[0] : rule.constant ? CONSTANT : '';
    constantInput.hidden = source.value !== CONSTANT;
    source.addEventListener('change', () => {
      if (source.value === MULTI) return;
      rule.sources = source.value && source.value !== CONSTANT ? [source.value] : [];
      if (source.value !== CONSTANT) rule.constant = null;
      constantInput.hidden = source.value !== CONSTANT;
      if (!constantInput.hidden) constantInput.focus();
    });

    const transformChoices = [h('option', { value: '', text: t('mapping.none') }), ...state.shopFields.transforms.map((x) => h('option', { value: x, text: x }))];
    const currentTransforms = rule.transforms.join(', ');
    if (rule.transforms.length > 1 || (rule.transforms.length === 1 && !state.shopFields.transforms.includes(rule.transforms[0])))
      transformChoices.push(h('option', { value: MULTI, text: currentTransforms }));
    const transform = h('select', { 'aria-label': `${t('mapping.transform')}, ${row}`, 'data-role': 'transform' }, ...transformChoices);
    transform.value = rule.transforms.length > 1 || (rule.transforms.length === 1 && !state.shopFields.transforms.includes(rule.transforms[0])) ? MULTI : rule.transforms[0] ?? '';
    transform.addEventListener('change', () => { if (transform.value !== MULTI) rule.transforms = transform.value ? [transform.value] : []; });

    const overwrite = h('input', { type: 'checkbox', 'aria-label': `${t('mapping.overwrite')}: ${targetName}`, 'data-role': 'overwrite' });
    overwrite.checked = rule.overwriteOnUpdate !== false;
    overwrite.addEventListener('change', () => { rule.overwriteOnUpdate = overwrite.checked; });

    const remove = h('button', {
      type: 'button', class: 'small', text: '✕', 'aria-label': t('mapping.removeRow', { field: targetName }),
      onclick: () => { rules.splice(index, 1); renderMapping(); },
    });
    return h('tr', {}, h('td', {}, target), h('td', {}, h('div', { class: 'source-cell' }, source, constantInput)), h('td', {}, transform), h('td', {}, overwrite), h('td', {}, remove));
  });
  $('mapping-rows').replaceChildren(...rows);
  resized();
}

/** A list of mapping problems is stale as soon as the merchant changes a row. */
function clearMappingProblems() {
  if ($('mapping-result').classList.contains('error')) clearResult('mapping-result');
}

/** The same checks the relay makes, plus the target's required fields, which only the page knows after describing. */
function mappingProblems() {
  const problems = [];
  const required = (state.targetFields?.fields ?? []).filter((f) => f.required).map((f) => f.id);
  for (const kind of ['customers', 'subscribers']) {
    const rules = state.mapping[kind];
    const tab = tabLabel(kind);
    const seen = new Set();
    rules.forEach((rule, i) => {
      if (!rule.target) problems.push(t('mapping.needTarget', { tab, row: i + 1 }));
      else if (seen.has(rule.target)) problems.push(t('mapping.duplicate', { tab, field: fieldLabel(rule.target) }));
      seen.add(rule.target);
      if (rule.sources.length === 0 && !rule.constant) problems.push(t('mapping.needSource', { tab, row: i + 1 }));
    });
    for (const field of required) if (field !== 'email' && !seen.has(field)) problems.push(t('mapping.required', { tab, field }));
  }
  return problems;
}

let fieldsRequested = false;

function ensureTargetFields() {
  if (fieldsRequested || !savedTarget()) return;
  fieldsRequested = true;
  loadTargetFields(false);
}

async function loadTargetFields(entered) {
  const button = $('mapping-load-fields');
  button.disabled = true;
  try {
    state.targetFields = entered
      ? await api('POST', '/targets/fields', { target: enteredTarget() })
      : await api('GET', '/targets/fields');
    if (entered || state.activeTab === 'mapping') showResult('mapping-result', 'ok', t('mapping.fieldsLoaded', { count: state.targetFields.fields.length }));
    renderMapping();
    renderLists();
  } catch (error) {
    if (entered || state.activeTab === 'mapping') showError('mapping-result', error);
  } finally {
    button.disabled = false;
  }
}

// ---- Options -----------------------------------------------------------------------------------

function renderOptions() {
  const s = state.settings;
  $('unique-key').value = s.uniqueKey;
  $('erase-on-delete').checked = s.eraseInTargetOnDelete;
  $('pull-interval').value = s.pullIntervalMinutes;
  $('time-zone').value = s.timeZone ?? '';
  $('sync-enabled').checked = s.syncEnabled;
  renderLists();
}

function chosenLists() {
  const boxes = [...document.querySelectorAll('[data-list]')];
  if (boxes.length) return boxes.filter((b) => b.checked).map((b) => b.dataset.list);
  return $('lists-manual').value.split(',').map((x) => x.trim()).filter(Boolean);
}

function renderLists() {
  const chosen = state.settings.lists;
  const described = state.targetFields?.lists ?? [];
  const known = new Set(described.map((l) => l.id));
  const all = [...described, ...chosen.filter((id) => !known.has(id)).map((id) => ({ id, label: id }))];
  $('lists-manual-field').hidden = described.length > 0;
  $('lists-manual').value = chosen.join(', ');
  $('list-choices').replaceChildren(...(described.length ? all : []).map((list) => {
    const box = h('input', { type: 'checkbox', id: `list-${list.id}`, 'data-list': list.id });
    box.checked = chosen.includes(list.id);
    return h('label', { for: `list-${list.id}` }, box, h('span', { text: list.label === list.id ? list.id : `${list.label} (${list.id})` }));
  }));
}

// ---- Saving ------------------------------------------------------------------------------------

function settingsInput() {
  return {
    expectedVersion: state.settings.version,
    target: enteredTarget(),
    customers: { rules: state.mapping.customers },
    subscribers: { rules: state.mapping.subscribers },
    uniqueKey: $('unique-key').value,
    lists: chosenLists(),
    eraseInTargetOnDelete: $('erase-on-delete').checked,
    pullIntervalMinutes: Number.parseInt($('pull-interval').value, 10) || 0,
    timeZone: $('time-zone').value.trim(),
    syncEnabled: $('sync-enabled').checked,
    orders: ordersInput(),
  };
}

async function save(resultId, button) {
  const problems = mappingProblems();
  if (problems.length) {
    showResult(resultId, 'error', t('mapping.errors'), problems);
    return;
  }
  button.disabled = true;
  try {
    const saved = await api('PUT', '/settings', settingsInput());
    applySettings(saved);
    markInvalid(null);
    showResult(resultId, 'ok', t('saved'));
  } catch (error) {
    showError(resultId, error);
  } finally {
    button.disabled = false;
  }
}

function applySettings(settings) {
  state.settings = settings;
  state.pairing = null;
  state.mapping = { customers: copyRules(settings.customers), subscribers: copyRules(settings.subscribers) };
  renderConnection();
  renderMapping();
  renderOptions();
  renderOrders();
  $('settings-version').textContent = settings.version === 0 ? t('notSavedYet') : t('version', { version: settings.version, at: format.dateTime(settings.updatedAt) });
}

// ---- Full sync ---------------------------------------------------------------------------------

function renderSync(sync) {
  const running = sync.state === 'running';
  $('sync-start').disabled = running;
  $('sync-cancel').disabled = !running;
  const bar = $('sync-progress');
  if (sync.percent === null && running) bar.removeAttribute('value');
  else bar.value = sync.percent ?? 0;
  $('sync-percent').textContent = sync.percent === null ? '' : format.percent(sync.percent);
  const parts = [];
  if (sync.state !== 'idle') {
    parts.push(sync.total === null ? t('sync.countUnknown', { done: format.number(sync.done) }) : t('sync.count', { done: format.number(sync.done), total: format.number(sync.total) }));
    if (sync.ratePerSecond !== null) parts.push(t('sync.rate', { rate: format.number(sync.ratePerSecond, 1) }));
    if (running && sync.etaSeconds !== null) parts.push(t('sync.eta', { eta: format.duration(sync.etaSeconds) }));
  }
  $('sync-figures').textContent = parts.join(' · ');

  const facts = [[t('activity.outcome'), t(`sync.state.${sync.state}`)]];
  if (sync.startedAt) facts.push([t('sync.started'), format.dateTime(sync.startedAt)]);
  if (sync.finishedAt) facts.push([t('sync.finished'), format.dateTime(sync.finishedAt)]);
  if (sync.failed) facts.push([t('sync.failedContacts'), format.number(sync.failed)]);
  if (sync.error) facts.push([t('sync.error'), sync.error]);
  $('sync-last').replaceChildren(...facts.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', { text: value })]));
  $('sync-last').dataset.state = sync.state;
  resized();
}

/** Polls every second while a sync runs and the tab is open; a finished sync needs no polling. */
async function refreshSync() {
  clearTimeout(state.syncTimer);
  try {
    const sync = await api('GET', '/sync');
    renderSync(sync);
    if (sync.state === 'running' && state.activeTab === 'sync') state.syncTimer = setTimeout(refreshSync, 1000);
  } catch (error) {
    showError('sync-result', error);
  }
}

async function startSync() {
  clearResult('sync-result');
  try {
    renderSync(await api('POST', '/sync'));
    state.syncTimer = setTimeout(refreshSync, 1000);
  } catch (error) {
    showError('sync-result', error);
  }
}

async function cancelSync() {
  try {
    renderSync(await api('DELETE', '/sync'));
  } catch (error) {
    showError('sync-result', error);
  }
}

// ---- Orders ------------------------------------------------------------------------------------

const savedOrders = () => state.settings?.orders ?? { enabled: false, statusPairs: {}, sendFrom: [], nightlyAt: null };

/** The pairing as the page shows it: the loaded statuses, else the saved pairs alone (before a load). */
function renderOrders() {
  const saved = state.pairing ?? savedOrders();
  const loaded = state.orderStatuses;
  const shopStatuses = loaded?.ok ? loaded.shop : Object.keys(saved.statusPairs ?? {}).map((id) => ({ id, name: id }));
  const targetStatuses = loaded?.ok ? loaded.target : [...new Set(Object.values(saved.statusPairs ?? {}))].map((id) => ({ id, name: id }));
  $('orders-rows').replaceChildren(...(shopStatuses.length ? shopStatuses.map((status) => {
    const pair = h('select', { id: `pair-${status.id}`, 'data-shop-status': status.id, 'aria-label': status.name },
      h('option', { value: '', text: t('orders.unpaired') }),
      ...targetStatuses.map((target) => h('option', { value: target.id, text: target.name })));
    pair.value = saved.statusPairs?.[status.id] ?? '';
    const send = h('input', { type: 'checkbox', id: `send-${status.id}`, 'data-send-from': status.id, 'aria-label': `${t('orders.sendFrom')}: ${status.name}` });
    send.checked = (saved.sendFrom ?? []).includes(status.id);
    pair.addEventListener('change', () => { state.pairing = ordersInput(); renderUnpaired(); });
    send.addEventListener('change', () => { state.pairing = ordersInput(); });
    return h('tr', {}, h('td', { text: status.name }), h('td', {}, pair), h('td', {}, send));
  }) : [emptyRow(3, t('orders.noStatuses'))]));
  $('orders-enabled').checked = saved.enabled;
  $('orders-nightly').value = saved.nightlyAt ?? '';
  renderUnpaired();
  resized();
}

/** Unpaired statuses are said, never guessed: their orders wait until they are paired. */
function renderUnpaired() {
  const unpaired = [...document.querySelectorAll('[data-shop-status]')].filter((s) => !s.value).map((s) => s.getAttribute('aria-label'));
  $('orders-unpaired').textContent = unpaired.length ? t('orders.unpairedList', { statuses: unpaired.join(', ') }) : '';
}

function ordersInput() {
  if (!document.querySelector('[data-shop-status]'))
    return { ...(state.pairing ?? savedOrders()), enabled: $('orders-enabled').checked, nightlyAt: $('orders-nightly').value || null };
  const statusPairs = {};
  for (const select of document.querySelectorAll('[data-shop-status]')) if (select.value) statusPairs[select.dataset.shopStatus] = select.value;
  const sendFrom = [...document.querySelectorAll('[data-send-from]')].filter((c) => c.checked).map((c) => c.dataset.sendFrom);
  return { enabled: $('orders-enabled').checked, statusPairs, sendFrom, nightlyAt: $('orders-nightly').value || null };
}

async function loadOrderStatuses(probe) {
  try {
    const statuses = await api('POST', '/orders/statuses', probe ?? null);
    state.orderStatuses = statuses;
    if (statuses.ok) clearResult('orders-result');
    else showResult('orders-result', 'error', t('orders.notLoaded'), [statuses.message]);
    renderOrders();
  } catch (error) {
    showError('orders-result', error);
  }
}

function renderOrderSync(view) {
  const sync = view.progress;
  const running = sync.state === 'running';
  const bar = $('orders-progress');
  if (sync.percent === null && running) bar.removeAttribute('value');
  else bar.value = sync.percent ?? 0;
  const parts = [t(`sync.state.${sync.state}`)];
  if (sync.state !== 'idle') {
    parts.push(sync.total === null ? t('sync.countUnknown', { done: format.number(sync.done) }) : t('sync.count', { done: format.number(sync.done), total: format.number(sync.total) }));
    parts.push(t('orders.counts', { sent: format.number(view.sent), waiting: format.number(view.waiting), failed: format.number(sync.failed) }));
    if (running && sync.etaSeconds !== null) parts.push(t('sync.eta', { eta: format.duration(sync.etaSeconds) }));
    if (sync.error) parts.push(sync.error);
  }
  $('orders-figures').textContent = parts.join(' · ');
  $('orders-figures').dataset.state = sync.state;
  resized();
}

async function refreshOrderSync() {
  clearTimeout(state.ordersTimer);
  try {
    const view = await api('GET', '/orders/sync');
    renderOrderSync(view);
    if (view.progress.state === 'running' && state.activeTab === 'orders') state.ordersTimer = setTimeout(refreshOrderSync, 1000);
  } catch (error) {
    showError('orders-sync-result', error);
  }
}

/** One at a time per shop: pressing again while one runs shows the running one. */
async function startOrderSync() {
  clearResult('orders-sync-result');
  try {
    const view = await api('POST', '/orders/sync');
    renderOrderSync(view);
    if (view.joined) showResult('orders-sync-result', 'info', t('orders.joined'));
    state.ordersTimer = setTimeout(refreshOrderSync, 1000);
  } catch (error) {
    showError('orders-sync-result', error);
  }
}

// ---- Activity and dead letters -----------------------------------------------------------------

const badge = (outcome) => h('span', { class: `badge ${outcome}`, text: t(`outcome.${outcome}`) });
const emptyRow = (columns, text) => h('tr', {}, h('td', { class: 'empty', colspan: String(columns), text }));

async function loadActivity() {
  const outcome = $('activity-filter').value;
  try {
    const entries = await api('GET', `/activity${outcome ? `?outcome=${encodeURIComponent(outcome)}` : ''}`);
    $('activity-rows').replaceChildren(...(entries.length ? entries.map((e) => h('tr', { 'data-outcome': e.outcome },
      h('td', { class: 'nowrap', text: format.dateTime(e.at) }),
      h('td', { text: e.kind }),
      h('td', {}, badge(e.outcome)),
      h('td', { text: e.maskedEmail ?? '' }),
      h('td', { text: e.message }))) : [emptyRow(5, t('activity.empty'))]));
    resized();
  } catch (error) {
    showError('dead-result', error);
  }
}

async function loadDeadLetters() {
  try {
    const letters = await api('GET', '/dead-letters');
    $('dead-rows').replaceChildren(...(letters.length ? letters.map((d) => h('tr', { 'data-id': d.id },
      h('td', { class: 'nowrap', text: format.dateTime(d.deadAt) }),
      h('td', { text: d.kind }),
      h('td', { text: format.number(d.attempts) }),
      h('td', { text: d.error }),
      h('td', {}, h('button', {
        type: 'button', class: 'small', text: t('dead.replay'), 'aria-label': t('dead.replayRow', { id: d.eventId }),
        onclick: (event) => replay(d.id, event.currentTarget),
      })))) : [emptyRow(5, t('dead.empty'))]));
    resized();
  } catch (error) {
    showError('dead-result', error);
  }
}

async function replay(id, button) {
  button.disabled = true;
  try {
    await api('POST', `/dead-letters/${encodeURIComponent(id)}/replay`);
    showResult('dead-result', 'ok', t('dead.replayed'));
    await loadDeadLetters();
  } catch (error) {
    button.disabled = false;
    showError('dead-result', error);
  }
}

// ---- Status ------------------------------------------------------------------------------------

function renderStatus(status) {
  const webhooks = !status.lastEventAt ? t('status.webhooksNever')
    : status.webhooksArriving ? t('status.webhooksOk', { at: format.dateTime(status.lastEventAt) })
      : t('status.webhooksQuiet', { hours: status.quietAfterHours, at: format.dateTime(status.lastEventAt) });
  const facts = [
    [t('status.shopUrl'), status.shopUrl],
    [t('status.platform'), status.platformName],
    [t('status.installation'), (has(`shopStatus.${status.shopStatus}`) ? t(`shopStatus.${status.shopStatus}`) : status.shopStatus) + (status.statusReason ? ` (${status.statusReason})` : '')],
    [t('status.webhooks'), webhooks],
    [t('status.token'), t(`status.token.${status.tokenHealth}`)],
    [t('status.target'), status.targetConfigured ? t('status.targetSet') : t('status.targetMissing')],
    [t('status.sync'), status.syncEnabled ? t('status.on') : t('status.off')],
    [t('status.deadLetters'), format.number(status.deadLetters)],
    ...(status.problems?.length
      ? status.problems.map((p) => [t(has(`status.problem.${p.job}`) ? `status.problem.${p.job}` : 'status.problems'),
        t('status.problemSince', { reason: p.reason, since: format.dateTime(p.since) })])
      : [[t('status.problems'), t('status.problemsNone')]]),
  ];
  $('status-facts').replaceChildren(...facts.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', { text: value })]));
  $('paused-features').replaceChildren(...(status.paused ?? []).map((p) => h('li', {
    'data-feature': p.feature,
    text: t('paused.line', {
      feature: has(`paused.${p.feature}`) ? t(`paused.${p.feature}`) : p.feature,
      permissions: p.missing.join(', '),
      since: format.dateTime(p.since),
    }),
  })));
  renderWebhookHealth(status.webhookHealth);
  $('shop-line').textContent = status.shopUrl;
  if (status.needsReinstall) showBanner(t('status.reinstall'), 'warn');
  resized();
}

/** The platform's report on the relay's webhooks in the shop: one row each, whatever the platform. */
function renderWebhookHealth(report) {
  $('health-checked').textContent = !report ? t('health.never')
    : t(report.detailed ? 'health.checked' : 'health.checkedOnOff', { at: format.dateTime(report.checkedAt) });
  const rows = (report?.webhooks ?? []).map((w) => {
    const details = [];
    if (w.since) details.push(t('health.since', { at: format.dateTime(w.since) }));
    if (w.revivedAt) details.push(t('health.revived', { at: format.dateTime(w.revivedAt) }));
    if (w.note) details.push(w.note);
    return h('tr', { 'data-webhook': w.name, 'data-state': w.state },
      h('td', { text: w.event ? `${w.name} (${w.event})` : w.name }),
      h('td', { class: 'nowrap' }, h('span', { class: `badge ${w.state}`, text: has(`health.${w.state}`) ? t(`health.${w.state}`) : w.state })),
      h('td', { text: format.number(w.failures) }),
      h('td', { text: details.join(' · ') }));
  });
  $('health-rows').replaceChildren(...(rows.length ? rows : [emptyRow(4, t('health.empty'))]));
}

async function loadStatus() {
  try {
    renderStatus(await api('GET', '/status'));
  } catch (error) {
    showBanner(error.message);
  }
}

// ---- Start -------------------------------------------------------------------------------------

function wire() {
  wireTabs();
  $('target-kind').addEventListener('change', () => {
    renderCredentialFields();
    renderTargetOptions();
    clearResult('connection-result');
  });
  $('test-connection').addEventListener('click', testConnection);
  $('connection-form').addEventListener('submit', (event) => { event.preventDefault(); save('connection-result', $('save-connection')); });
  $('mapping-form').addEventListener('submit', (event) => { event.preventDefault(); save('mapping-result', $('save-mapping')); });
  $('options-form').addEventListener('submit', (event) => { event.preventDefault(); save('options-result', $('save-options')); });
  for (const tab of document.querySelectorAll('.subtabs [role="tab"]')) {
    tab.addEventListener('click', () => selectMappingKind(tab.dataset.kind));
    tab.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      event.preventDefault();
      selectMappingKind(state.mappingKind === 'customers' ? 'subscribers' : 'customers', true);
    });
  }
  $('mapping-rows').addEventListener('change', clearMappingProblems);
  $('mapping-add').addEventListener('click', () => {
    state.mapping[state.mappingKind].push({ target: '', sources: [], constant: null, separator: ' ', transforms: [], overwriteOnUpdate: true });
    renderMapping();
    const selects = document.querySelectorAll('#mapping-rows select[data-role="target"]');
    selects[selects.length - 1]?.focus();
  });
  $('mapping-defaults').addEventListener('click', () => {
    // The chosen target's default map for this shop, as the relay serves it: the one the sync uses for an empty mapping.
    const target = provider();
    const defaults = state.mappingKind === 'customers' ? target?.defaultCustomers : target?.defaultSubscribers;
    state.mapping[state.mappingKind] = copyRules(defaults);
    renderMapping();
  });
  $('mapping-load-fields').addEventListener('click', () => loadTargetFields(true));
  $('sync-start').addEventListener('click', startSync);
  $('orders-load').addEventListener('click', () => loadOrderStatuses(null));
  $('orders-form').addEventListener('submit', (event) => { event.preventDefault(); save('orders-result', $('save-orders')); });
  $('orders-sync').addEventListener('click', startOrderSync);
  $('sync-cancel').addEventListener('click', cancelSync);
  $('activity-filter').addEventListener('change', loadActivity);
  $('activity-refresh').addEventListener('click', () => { loadActivity(); loadDeadLetters(); });
  $('status-refresh').addEventListener('click', loadStatus);
  $('shop-connection-form').addEventListener('submit', (event) => { event.preventDefault(); saveShopConnection(); });
  wirePos();
}

async function boot() {
  const token = readSession();
  const claims = token ? claimsOf(token) : null;
  await loadLanguage(pickLanguage([claims?.lang, query.get('lang'), query.get('translations'), query.get('locale'), ...navigator.languages]));
  translatePage();
  if (platform === 'shoper') startShoperSdk();

  if (!token || !claims?.shop) return fatal(t('error.noSession'));
  // The page was framed under this shop's frame-ancestors; a session of another shop must not run in it.
  if (query.has('shop') && query.get('shop') !== claims.shop) return fatal(t('error.otherShop'));
  useSession(token);

  try {
    const [targets, shopFields, settings] = await Promise.all([api('GET', '/targets'), api('GET', '/shop-fields'), api('GET', '/settings')]);
    state.targets = targets;
    state.shopFields = shopFields;
    wire();
    applySettings(settings);
    await loadShopConnection();
  } catch (error) {
    return fatal(error.message);
  }
  $('loading').hidden = true;
  $('app').hidden = false;
  document.body.dataset.ready = 'true';
  loadStatus();
  resized();
}

boot();
