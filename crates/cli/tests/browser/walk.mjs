// Walks the customers' self-service pages of `calltree serve` in a real headless Chromium,
// the way a customer would: by labels and button names, never by URLs or form posts made up
// by hand. Run by crates/cli/tests/browser.rs; by hand: `node walk.mjs http://127.0.0.1:PORT`
// against a server started with the bundled trees (answer the RESTART line with Enter).
//
// Talks to whoever started it on standard output, one line each:
//   RESTART        the server must be stopped and started again on the same address and
//                  database; the script waits for any line on standard input before going on
//                  (a script cannot restart the server it is testing, its runner can)
//   RESULT {json}  the sessions walked, for the runner to check in the database
// Everything else (progress, failures) goes to standard error. Exit status 0 means every
// check passed.

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

// axe-core, the accessibility checker, as the script it is: run in each page.
const AXE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const CHROMIUM = '/usr/bin/chromium';
// Generous: the machines this runs on may have two shared cores and a cold Chromium.
const ACTION_TIMEOUT = 60_000;
const WHOLE_WALK_TIMEOUT = 15 * 60_000;
// The narrowest phones in common use, and a common laptop.
const PHONE = { width: 375, height: 812 };
const LAPTOP = { width: 1366, height: 768 };
// WCAG 2.2's enhanced target size, and what phone guidelines ask: a finger, not a pointer.
const TARGET = 44;
const TREE_TITLE = 'Reset your password';

const base = process.argv[2];
if (!base || !/^https?:\/\//.test(base)) {
  console.error('usage: node walk.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
// Where the screenshots go; none are taken without it.
const shots = process.env.CALLTREE_SHOT_DIR;

const log = (message) => console.error(`walk: ${message}`);

// Standard input is read only for the answer to RESTART, so it is opened on first use: a
// readline left open would keep the process alive after the walk.
let input;
async function restartServer() {
  input ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write('RESTART\n');
  const answer = await input.next();
  assert.ok(!answer.done, 'standard input closed before the server was restarted');
  log('the server was restarted');
}

/** Waits for the page whose only h1 is `title`, and checks the basics every page needs. */
async function at(page, title) {
  await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
  await checkPage(page);
  log(`at “${title}”`);
}

/** Every page the walk visits, with its axe-core violations (none allowed). */
const checked = [];

/** Runs axe-core on the page as it is: any violation fails the walk, and says what it is. */
async function axeCheck(page) {
  // Evaluated through the browser's debugging protocol, so a Content-Security-Policy that
  // forbids inline scripts does not stop the checker (and needs no exception for it).
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.evaluate(AXE);
  }
  const result = await page.evaluate(async () => {
    const { violations } = await window.axe.run(document);
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.html),
    }));
  });
  checked.push({ url: page.url(), title: await page.title(), violations: result.length });
  assert.equal(
    result.length,
    0,
    `axe-core found violations on ${page.url()}:\n${JSON.stringify(result, null, 2)}`,
  );
}

/** One h1, a language, every control named and every input findable by its label. */
async function checkPage(page) {
  await axeCheck(page);
  assert.equal(await page.locator('h1').count(), 1, `one h1 on ${page.url()}`);
  assert.ok(await page.locator('html').getAttribute('lang'), 'the page says its language');
  for (const button of await page.getByRole('button').all()) {
    const name = (await button.innerText()).trim();
    assert.ok(name, `every button has a name (${page.url()})`);
  }
  const fields = page.locator(
    'input:not([type=hidden]):not([type=submit]), textarea, select',
  );
  for (const field of await fields.all()) {
    const label = await field.evaluate((el) =>
      el.labels && el.labels.length > 0 ? el.labels[0].innerText.trim() : '',
    );
    const name = await field.getAttribute('name');
    assert.ok(label, `the input “${name}” has a <label> (${page.url()})`);
    // Found by its label the way a screen reader names it, and it is this very input.
    const found = page.getByLabel(label, { exact: true });
    const same = await found.evaluateAll(
      (els, target) => els.includes(target),
      await field.elementHandle(),
    );
    assert.ok(same, `getByLabel(“${label}”) finds the input “${name}”`);
  }
}

/** Nothing wider than a phone: no sideways scrolling, every control inside the screen. */
async function fitsPhone(page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `no sideways scrolling (${scrollWidth} > ${innerWidth})`);
  const controls = page.locator('button, input:not([type=hidden]), textarea, a');
  for (const control of await controls.all()) {
    const box = await control.boundingBox();
    if (!box) continue; // not rendered
    assert.ok(
      box.x >= 0 && box.x + box.width <= innerWidth + 0.5,
      `a control sticks out of the phone's screen: ${await control.evaluate((el) => el.outerHTML)}`,
    );
    // Links are text in a line, which WCAG exempts from target sizes.
    if ((await control.evaluate((el) => el.tagName)) === 'A') continue;
    // WCAG 2.2's minimum target size: fingers, not mouse pointers. A radio button is
    // tapped through its label, which is the target that must be big enough.
    const target = await control.evaluate((el) => {
      const tapped = el.type === 'radio' || el.type === 'checkbox' ? el.labels[0] : el;
      const rect = tapped.getBoundingClientRect();
      return { height: rect.height, html: tapped.outerHTML };
    });
    assert.ok(target.height >= TARGET, `a control too small to tap (${target.height} px): ${target.html}`);
  }
}

async function screenshot(page, name) {
  if (!shots) return;
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, name), fullPage: true });
  log(`screenshot ${name}`);
}

/** A fresh browser profile (its own cookies) with the generous timeouts. */
async function newContext(browser, options) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(ACTION_TIMEOUT);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT);
  return context;
}

const button = (page, name) => page.getByRole('button', { name, exact: true });
const sessionId = (page) => new URL(page.url()).pathname.split('/').pop();

/** Starts the password reset from the home page, as a customer finds it. */
async function startFromHome(page) {
  await page.goto(`${base}/`);
  await at(page, 'How can we help?');
  await button(page, TREE_TITLE).click();
  await at(page, TREE_TITLE);
  assert.match(new URL(page.url()).pathname, /^\/s\/[A-Za-z0-9]+$/);
  return sessionId(page);
}

/** The handoff code on an end page. */
async function handoffCode(page) {
  const code = (await page.locator('.code').innerText()).trim();
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/, 'a handoff code like ABCD-1234');
  return code;
}

/**
 * A forgotten password, solved: a refused email address first, the page's Back, the
 * browser's back, a second tab that falls behind, and a server restart halfway.
 */
async function resolvedWalk(browser) {
  const context = await newContext(browser, { viewport: LAPTOP });
  const page = await context.newPage();
  const id = await startFromHome(page);
  // The first step has the tree's own title: said once, not "X · X".
  assert.equal(await page.title(), TREE_TITLE);

  // A bad address and no account type: both are refused at once, in a summary at the top
  // that links to each field, and beside each field; nothing typed is lost.
  const email = page.getByLabel('Email address you sign in with (required)', { exact: true });
  await email.fill('jo.bloggs at example');
  await button(page, 'Continue').click();
  const error = page.locator('#e_login_email');
  await error.waitFor();
  log(`refused, saying: ${await error.innerText()}`);
  assert.match(await error.innerText(), /Please enter an email address like name@example\.com\./);
  await at(page, TREE_TITLE);
  assert.match(await page.title(), /^Error: /, 'the title says something went wrong');
  const summary = page.locator('.error-summary');
  assert.equal(await summary.getByRole('heading').innerText(), 'There is a problem');
  const links = await summary.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, ['#f_login_email', '#f_account_type'], 'every problem, in the step\'s order');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.match(await email.getAttribute('aria-describedby'), /\be_login_email\b/);
  assert.equal(await email.getAttribute('type'), 'email');
  assert.equal(await email.getAttribute('autocomplete'), 'email');
  assert.equal(await email.getAttribute('maxlength'), '2000');
  assert.equal(await email.inputValue(), 'jo.bloggs at example', 'the bad value is kept to fix');
  const red = await email.evaluate((el) => getComputedStyle(el.closest('.field')).borderLeftColor);
  assert.equal(red, 'rgb(180, 35, 24)', 'a red bar beside the field to fix');
  await screenshot(page, 'self_service_errors_1366.png');
  await page.getByLabel('Personal account', { exact: true }).check();

  await email.fill('jo.bloggs@example.com');
  await button(page, 'Continue').click();
  await at(page, "What's the problem?");
  await page.getByLabel("I've forgotten my password", { exact: true }).check();
  await button(page, 'Continue').click();
  await at(page, 'Recovery details');
  await page.getByLabel('My recovery email', { exact: true }).check();
  await button(page, 'Continue').click();
  await at(page, 'Code sent');

  // The page's own Back undoes the last step, and the answer given there is still there.
  await button(page, 'Back').click();
  await at(page, 'Recovery details');
  assert.ok(
    await page.getByLabel('My recovery email', { exact: true }).isChecked(),
    'going back keeps the answer',
  );
  await button(page, 'Continue').click();
  await at(page, 'Code sent');

  // The browser's back shows an older page (or the cache's copy of one); a reload shows
  // the session where it really is, on the same address.
  await page.goBack();
  log(`after the browser's back: “${await page.locator('h1').innerText()}” at ${page.url()}`);
  assert.equal(sessionId(page), id, "the browser's back stays on the session");
  await page.reload();
  await at(page, 'Code sent');

  // A second tab on the same session, drawn before the restart and left behind.
  const other = await context.newPage();
  await other.goto(page.url());
  await at(other, 'Code sent');

  // The server restarts under an open page: the form drawn by the old process still works.
  await restartServer();
  await button(page, 'Code received').click();
  await at(page, 'Enter the code');

  // The tab left behind posts an out-of-date form: nothing changes, and it says so.
  await button(other, 'Code received').click();
  await at(other, 'Enter the code');
  assert.match(await other.getByRole('status').innerText(), /out of date/);
  await other.close();

  await page.reload();
  await at(page, 'Enter the code');
  await button(page, 'The code worked').click();
  await at(page, 'Choose a new password');
  await button(page, 'Password changed').click();
  await at(page, 'Solved. Glad we could help!');
  assert.equal(await page.locator('.code').count(), 0, 'no handoff code when it was solved');
  await context.close();
  return id;
}

/** Lost two-step device, no backup codes: the tree hands over, on a phone. */
async function handoffWalk(browser) {
  const context = await newContext(browser, {
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await at(page, 'How can we help?');
  await fitsPhone(page);
  const id = await startFromHome(page);
  await fitsPhone(page);
  await screenshot(page, 'self_service_step.png');
  // Continue with nothing filled in: every problem on a phone, as a thumb meets it.
  await button(page, 'Continue').click();
  await page.locator('.error-summary').waitFor();
  await at(page, TREE_TITLE);
  await fitsPhone(page);
  await screenshot(page, 'self_service_errors_375.png');
  await page.getByLabel('Email address you sign in with (required)', { exact: true }).fill('kim@example.com');
  await page.getByLabel('Personal account', { exact: true }).check();
  await button(page, 'Continue').click();
  await at(page, "What's the problem?");
  await fitsPhone(page);
  await page.getByLabel("I've lost my two-step verification device", { exact: true }).check();
  await button(page, 'Continue').click();
  await at(page, 'Lost two-step device');
  await fitsPhone(page);
  await button(page, 'No backup codes').click();
  await at(page, "We're passing this to our Identity desk team.");
  const code = await handoffCode(page);
  await fitsPhone(page);
  await page.getByRole('heading', { name: 'What happens next' }).waitFor();
  await page.getByRole('heading', { name: 'How to reach a person' }).waitFor();
  await screenshot(page, 'self_service_handoff.png');

  // The end is stored: back and reload bring the same code, not a new one.
  await page.goBack();
  await page.reload();
  await at(page, "We're passing this to our Identity desk team.");
  assert.equal(await handoffCode(page), code, 'the same code after back and reload');
  await context.close();
  return { id, code };
}

/** "Talk to a person" part way: the answer on the page is kept for the agent. */
async function personWalk(browser) {
  const context = await newContext(browser, { viewport: LAPTOP });
  const page = await context.newPage();
  const id = await startFromHome(page);
  await page.getByLabel('Email address you sign in with (required)', { exact: true }).fill('alex@example.com');
  await page.getByLabel('Business account I pay for', { exact: true }).check();
  await button(page, 'Continue').click();
  await at(page, "What's the problem?");
  await page.getByLabel('My account is locked', { exact: true }).check();
  await button(page, 'Talk to a person').click();
  await page.locator('.code').waitFor();
  await checkPage(page);
  // The step that was left is not shown again as if it were still to do.
  const shown = await page.locator('main').innerText();
  assert.ok(!shown.includes('Choose the option that best describes'), shown);
  assert.match(await page.title(), new RegExp(` · ${TREE_TITLE}$`));
  await screenshot(page, 'self_service_handoff_1366.png');
  const code = await handoffCode(page);
  await context.close();
  return { id, code };
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Chromium's background traffic (updates, sync, lookups of Google's hosts) is refused on
    // machines without internet, noisily and slowly; the pages under test are all local.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 2 * ACTION_TIMEOUT,
  });
  try {
    const resolved = await resolvedWalk(browser);
    const handoff = await handoffWalk(browser);
    const person = await personWalk(browser);
    log(`axe-core: ${checked.length} pages checked, ${checked.reduce((n, c) => n + c.violations, 0)} violations`);
    process.stdout.write(`RESULT ${JSON.stringify({ resolved, handoff, person, axe: checked })}\n`);
  } finally {
    await browser.close();
  }
}

const guard = setTimeout(() => {
  log(`gave up after ${WHOLE_WALK_TIMEOUT / 60_000} minutes`);
  process.exit(1);
}, WHOLE_WALK_TIMEOUT);
guard.unref();

try {
  await main();
  log('every check passed');
  process.exit(0);
} catch (error) {
  log(`FAILED: ${error.stack ?? error}`);
  process.exit(1);
}
