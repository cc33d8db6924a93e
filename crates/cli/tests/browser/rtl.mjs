// A right-to-left page in a real headless Chromium: the Hebrew fixture tree
// (tests/fixtures/translation/rtl) walked by a browser that asks for Hebrew, to a refused
// step. Checks that the page says `lang="he"` and `dir="rtl"`, and that the layout mirrors:
// headings and the step's text start at the right, the refused field's bar is on its right,
// and the error summary's list is indented from the right. Run by crates/cli/tests/browser.rs;
// by hand: `node rtl.mjs http://127.0.0.1:PORT` against `calltree serve --trees` that folder.

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base || !/^https?:\/\//.test(base)) {
  console.error('usage: node rtl.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const log = (message) => console.error(`rtl: ${message}`);

/** How far an element's box sits from the left and right edges of its parent's box. */
async function margins(locator) {
  return locator.evaluate((element) => {
    const own = element.getBoundingClientRect();
    const parent = element.parentElement.getBoundingClientRect();
    return { left: own.left - parent.left, right: parent.right - own.right, width: own.width };
  });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({
    locale: 'he-IL',
    viewport: { width: 375, height: 812 },
  });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  await page.goto(base);
  const html = page.locator('html');
  assert.equal(await html.getAttribute('lang'), 'he');
  assert.equal(await html.getAttribute('dir'), 'rtl');
  log('the home page is Hebrew, right to left');

  await page.getByRole('button', { name: 'איפה החבילה שלי?' }).click();
  await page.getByRole('heading', { level: 1, name: 'החבילה שלך' }).waitFor();
  assert.equal(await html.getAttribute('dir'), 'rtl');
  // A short heading hugs the right edge of its column, as Hebrew text starts there.
  const heading = await page.evaluate(() => {
    const h1 = document.querySelector('h1');
    const range = document.createRange();
    range.selectNodeContents(h1);
    const text = range.getBoundingClientRect();
    const box = h1.getBoundingClientRect();
    return { left: text.left - box.left, right: box.right - text.right };
  });
  assert.ok(heading.right < 2 && heading.left > 20, `the heading starts at the right: ${JSON.stringify(heading)}`);

  // A refused answer: the field's red bar on its right, the summary's list indented from there.
  await page.getByLabel('מספר מעקב').fill('12ab');
  await page.getByRole('button', { name: 'Continue' }).click();
  const summary = page.getByRole('alert');
  await summary.waitFor();
  const field = page.locator('.field.invalid');
  const bar = await field.evaluate((element) => {
    const style = getComputedStyle(element);
    return { right: parseFloat(style.borderRightWidth), left: parseFloat(style.borderLeftWidth) };
  });
  assert.ok(bar.right >= 4 && bar.left === 0, `the field's bar is on its right: ${JSON.stringify(bar)}`);
  const list = await margins(summary.locator('ul'));
  assert.ok(list.right >= list.left, `the summary's list is indented from the right: ${JSON.stringify(list)}`);
  const indent = await summary.locator('ul').evaluate((element) => parseFloat(getComputedStyle(element).paddingRight));
  assert.ok(indent > 0, `the summary's list has its indent on the right: ${indent}`);
  log('a refused step mirrors: bar and list on the right');
  console.log('OK');
} finally {
  await browser.close();
}
