// The chat in a real browser: headless Debian Chromium driven by playwright-core.
// Set CHROMIUM_PATH to use another binary; screenshots land in $LIVECHAT_E2E_ARTIFACTS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { BASE_URL } from "./client.mjs";

const artifacts = process.env.LIVECHAT_E2E_ARTIFACTS || "../../target/e2e-artifacts";
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
      "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

async function enter(name, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(BASE_URL + "/");
  await page.fill("#name", name);
  await page.click("button[type=submit]");
  await page.waitForSelector("#messages");
  return page;
}

test("two people chat live; text stays text", async () => {
  const alice = await enter("Alice");
  const bob = await enter("Bob <img src=x onerror=alert(1)>");
  try {
    await alice.waitForSelector('#status[data-state="online"]');
    await bob.waitForSelector('#status[data-state="online"]');
    const body = `hello <b>bold</b> ${Date.now()}`;
    await alice.fill("#body", body);
    await alice.press("#body", "Enter");

    const seen = bob.locator("li.message", { hasText: body });
    await seen.waitFor({ timeout: 10000 });
    assert.equal(await seen.locator("p.body").textContent(), body);
    assert.equal(await seen.locator("p.body b").count(), 0, "no HTML was injected");
    assert.equal(await seen.locator("span.author").textContent(), "Alice");
    const mine = alice.locator("li.message", { hasText: body });
    await mine.waitFor();
    assert.equal(await mine.count(), 1, "the sender sees it once (ack and broadcast merged)");
    assert.equal(await mine.getAttribute("data-seq"), await seen.getAttribute("data-seq"));
    assert.equal(await alice.inputValue("#body"), "", "the box is cleared after the ack");

    const reply = `hi Alice ${Date.now()}`;
    await bob.fill("#body", reply);
    await bob.click("#send button");
    const got = alice.locator("li.message", { hasText: reply });
    await got.waitFor({ timeout: 10000 });
    assert.equal(await got.locator("span.author").textContent(), "Bob <img src=x onerror=alert(1)>");
    assert.equal(await alice.locator("img").count(), 0);
    await alice.screenshot({ path: join(artifacts, "chat.png"), fullPage: true });
  } finally {
    await alice.context().close();
    await bob.context().close();
  }
});

test("the page works as plain HTML without JavaScript", async () => {
  const page = await enter("NoScript", { javaScriptEnabled: false });
  try {
    const body = `plain form ${Date.now()}`;
    await page.fill("#body", body);
    await page.click("#send button");
    await page.waitForURL(BASE_URL + "/");
    await page.locator("li.message", { hasText: body }).waitFor();
    await page.fill("#body", "   ");
    await page.$eval("#body", (el) => el.removeAttribute("required"));
    await page.click("#send button");
    assert.match(await page.textContent("#send-error"), /must not be empty/);
  } finally {
    await page.context().close();
  }
});
