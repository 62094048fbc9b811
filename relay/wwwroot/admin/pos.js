import { t, format } from './i18n.js';
import { api } from './api.js';

// The till section: a form built from what each till asks for (GET /pos), the last sync and what waits.
// It names no till; every label of a till's own settings comes from the relay.

const $ = (id) => document.getElementById(id);
const OVERWRITE = ['name', 'descriptions', 'prices', 'ean', 'categories', 'active'];
const CALCULATIONS = ['freeMinusReserved', 'free', 'freeMinusReservedPlusIncoming', 'freePlusIncoming'];
let view = null;

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') element.textContent = value;
    // A textarea has no value attribute: its text is the property (the attribute would leave it empty).
    else if (name === 'value') element.value = value;
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.filter((c) => c !== undefined && c !== null));
  return element;
}

const field = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id, text: label }), input, hint ? h('small', { class: 'muted', text: hint }) : null);
const check = (id, label, checked) => h('div', { class: 'field check' }, h('input', { id, type: 'checkbox', checked: !!checked }), h('label', { for: id, text: label }));

function show(tone, message) {
  const box = $('pos-result');
  box.className = `result ${tone}`;
  box.replaceChildren(h('p', { text: message }));
}

function provider() {
  return view.tills.find((p) => p.kind === $('pos-kind').value) ?? null;
}

function renderTillFields() {
  const chosen = provider();
  const same = view.till && chosen && view.till.kind === chosen.kind ? view.till : null;
  $('pos-credentials').replaceChildren(h('legend', { text: t('pos.credentials') }), ...(chosen?.credentialNames ?? []).map((name) =>
    field(`pos-cred-${name}`, name, h('input', { id: `pos-cred-${name}`, type: 'password', autocomplete: 'off', placeholder: same?.credentialsSet.includes(name) ? '••••••••' : '' }))));
  $('pos-options').replaceChildren(h('legend', { text: t('pos.options') }), ...(chosen?.options ?? []).map((o) =>
    field(`pos-opt-${o.name}`, o.name, h('input', { id: `pos-opt-${o.name}`, value: same?.options[o.name] ?? '', placeholder: o.default ?? '' }), o.help)));
}

function render() {
  const form = $('pos-form');
  const kinds = h('select', { id: 'pos-kind' }, h('option', { value: '', text: t('pos.none') }),
    ...view.tills.map((p) => h('option', { value: p.kind, text: p.displayName, selected: view.till?.kind === p.kind })));
  kinds.addEventListener('change', renderTillFields);
  const calculation = h('select', { id: 'pos-stock-calculation' },
    ...CALCULATIONS.map((c) => h('option', { value: c, text: t(`pos.stock.${c}`), selected: view.stockCalculation === c })));
  const payments = Object.entries(view.paymentMethods).map(([shop, till]) => `${shop} = ${till}`).join('\n');
  form.replaceChildren(
    field('pos-kind', t('pos.kind'), kinds),
    field('pos-base-url', t('pos.baseUrl'), h('input', { id: 'pos-base-url', type: 'url', value: view.till?.baseUrl ?? '', spellcheck: 'false' }), t('pos.baseUrlHint')),
    h('fieldset', { id: 'pos-credentials', class: 'group' }),
    h('fieldset', { id: 'pos-options', class: 'group' }),
    check('pos-enabled', t('pos.enabled'), view.enabled),
    h('fieldset', { class: 'group' }, h('legend', { text: t('pos.flows') }),
      check('pos-sync-products', t('pos.syncProducts'), view.syncProducts),
      check('pos-sync-stock', t('pos.syncStock'), view.syncStock),
      check('pos-sync-orders', t('pos.syncOrders'), view.syncOrders)),
    h('fieldset', { class: 'group' }, h('legend', { text: t('pos.overwrite') }),
      ...OVERWRITE.map((name) => check(`pos-overwrite-${name}`, t(`pos.overwrite.${name}`), view.overwrite[name]))),
    field('pos-product-fields', t('pos.productFields'), h('textarea', { id: 'pos-product-fields', rows: '3', spellcheck: 'false', value: productFieldLines() }),
      t('pos.productFieldsHint', { till: view.productFieldChoices.till.join(', '), shop: view.productFieldChoices.shop.join(', ') })),
    field('pos-stock-calculation', t('pos.stockCalculation'), calculation),
    check('pos-manage-stock', t('pos.manageStock'), view.manageStock),
    field('pos-order-statuses', t('pos.orderStatuses'), h('input', { id: 'pos-order-statuses', value: view.orderStatuses.join(', ') }), t('pos.orderStatusesHint')),
    h('p', { id: 'pos-shop-statuses', class: 'muted' }),
    check('pos-as-invoice', t('pos.asInvoice'), view.ordersAsInvoice),
    field('pos-default-debtor', t('pos.defaultDebtor'), h('input', { id: 'pos-default-debtor', type: 'number', min: '0', value: view.defaultDebtor ?? '' })),
    field('pos-payment-methods', t('pos.paymentMethods'), h('textarea', { id: 'pos-payment-methods', rows: '3', value: payments })),
    field('pos-poll-seconds', t('pos.pollSeconds'), h('input', { id: 'pos-poll-seconds', type: 'number', min: '2', value: String(view.pollSeconds) })),
    view.webhookPath ? field('pos-webhook-url', t('pos.webhookUrl'), h('input', { id: 'pos-webhook-url', readonly: true, spellcheck: 'false', value: location.origin + view.webhookPath }), t('pos.webhookUrlHint')) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'pos-test', class: 'secondary', text: t('pos.test') }),
      h('button', { type: 'submit', id: 'pos-save', class: 'primary', text: t('save') })));
  renderTillFields();
  $('pos-test').addEventListener('click', test);
  loadShopStatuses();
}

// The ids the field takes, as the shop has them ("payment:paid (Payment: Paid)"), read from the shop.
async function loadShopStatuses() {
  try {
    const r = await api('GET', '/pos/order-statuses');
    $('pos-shop-statuses').textContent = r.message ?? t('pos.shopStatuses', { statuses: r.statuses.map((s) => `${s.id} (${s.name})`).join(', ') });
  } catch (error) {
    $('pos-shop-statuses').textContent = error.message;
  }
}

// One rule a line, "shop field = till field"; a rule's transforms and overwrite choice stay while its line does.
function productFieldLines() {
  return view.productFields.rules.map((r) => `${r.target} = ${r.sources.join(' + ')}`).join('\n');
}

function enteredProductFields() {
  const rules = $('pos-product-fields').value.split('\n').map((line) => line.split('=').map((p) => p.trim())).filter((p) => p.length === 2 && p[0] && p[1])
    .map(([target, sources]) => {
      const names = sources.split('+').map((s) => s.trim()).filter(Boolean);
      const kept = view.productFields.rules.find((r) => r.target === target && r.sources.join('+') === names.join('+'));
      return kept ?? { target, sources: names };
    });
  return { rules };
}

function enteredTill() {
  const chosen = provider();
  if (!chosen) return undefined;
  const credentials = Object.fromEntries(chosen.credentialNames.map((n) => [n, $(`pos-cred-${n}`).value]));
  const options = Object.fromEntries(chosen.options.map((o) => [o.name, $(`pos-opt-${o.name}`).value]));
  return { kind: chosen.kind, baseUrl: $('pos-base-url').value.trim() || null, credentials, options };
}

function input() {
  const payments = Object.fromEntries($('pos-payment-methods').value.split('\n').map((line) => line.split('=').map((p) => p.trim())).filter((p) => p.length === 2 && p[0] && p[1]));
  return {
    expectedVersion: view.version,
    till: enteredTill(),
    enabled: $('pos-enabled').checked,
    syncProducts: $('pos-sync-products').checked,
    syncStock: $('pos-sync-stock').checked,
    syncOrders: $('pos-sync-orders').checked,
    overwrite: Object.fromEntries(OVERWRITE.map((name) => [name, $(`pos-overwrite-${name}`).checked])),
    productFields: enteredProductFields(),
    stockCalculation: $('pos-stock-calculation').value,
    manageStock: $('pos-manage-stock').checked,
    orderStatuses: $('pos-order-statuses').value.split(',').map((s) => s.trim()).filter(Boolean),
    ordersAsInvoice: $('pos-as-invoice').checked,
    defaultDebtor: $('pos-default-debtor').value ? Number($('pos-default-debtor').value) : 0,
    paymentMethods: payments,
    pollSeconds: Number($('pos-poll-seconds').value),
  };
}

function problem(error) {
  const details = error.errors ? Object.values(error.errors).flat() : [];
  show('error', [error.message, ...details].join(' '));
}

async function save(event) {
  event.preventDefault();
  try {
    view = await api('PUT', '/pos', input());
    render();
    show('ok', t('pos.saved'));
  } catch (error) {
    problem(error);
  }
}

async function test() {
  try {
    const result = await api('POST', '/pos/test', { till: enteredTill() });
    show(result.ok ? 'ok' : 'error', result.message);
  } catch (error) {
    problem(error);
  }
}

async function loadStatus() {
  try {
    const s = await api('GET', '/pos/status');
    const facts = [
      [t('pos.lastRun'), format.dateTime(s.lastRunAt)],
      [t('pos.lastSuccess'), format.dateTime(s.lastSuccessAt)],
      ...(s.lastError ? [[t('pos.lastError'), s.lastError]] : []),
      [t('pos.counts'), t('pos.countsValue', { products: format.number(s.productsWritten), stock: format.number(s.stockWritten), orders: format.number(s.ordersQueued) })],
      [t('pos.waiting'), s.waiting.length === 0 ? t('pos.waitingNone') : s.waiting.map((w) => `${w.number}: ${w.reason}`).join(' · ')],
      [t('pos.deadLetters'), format.number(s.deadLetters)],
    ];
    $('pos-facts').replaceChildren(...facts.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', { text: value })]));
  } catch (error) {
    problem(error);
  }
}

async function run() {
  try {
    const r = await api('POST', '/pos/run');
    show(r.outcome === 'done' ? 'ok' : 'error', r.reason ?? t('pos.ran', r));
    loadStatus();
  } catch (error) {
    problem(error);
  }
}

export function wirePos() {
  $('pos-form').addEventListener('submit', save);
  $('pos-run').addEventListener('click', run);
  $('pos-refresh').addEventListener('click', loadStatus);
}

export async function showPos() {
  try {
    if (!view) {
      view = await api('GET', '/pos');
      render();
    }
  } catch (error) {
    problem(error);
  }
  loadStatus();
}
