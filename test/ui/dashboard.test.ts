/*
 * The dashboard (docs/dashboard.md) end to end in a real browser, against omicsd running real CWL
 * runs: a batch started from the form and watched to PROCESSED, a failed run's reason and engine
 * log, a batch cancelled after confirming, a workflow's versions, a phone-width page, and signing in when omicsd
 * authenticates. Screenshots are saved under test-results/dashboard/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateWorkflowVersionCommand, GetBatchCommand, StartRunBatchCommand } from '@aws-sdk/client-omics';
import type { Browser, Page } from 'playwright-core';
import { assertWorks, needs } from '../executors/harness.js';
import { browserSkip, launchBrowser, screenshot } from '../support/browser.js';
import { waitBatchStatus } from '../support/batches.js';
import { ROLE } from '../support/client.js';
import { startServer, tempDir, type RunningServer } from '../support/server.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';
import { keyClient, writeCredentials } from '../security/helpers.js';

/** A CWL tool that writes its sample to out.txt, and fails with a message for the sample `bad`. */
const sampleTool = definitionZip({
  'main.cwl': cwlTool(['sh', '-c', 'if [ "$0" = bad ]; then echo "sample bad is unusable" >&2; exit 3; fi; echo "$0" > out.txt'], {
    inputs: { sample: { type: 'string', inputBinding: { position: 1 } } },
    outputs: { out: { type: 'File?', outputBinding: { glob: 'out.txt' } } },
  }),
});
const sleeper = definitionZip({ 'main.cwl': cwlTool(['sleep', '300']) });

let browser: Browser;

describe('dashboard', { skip: browserSkip || needs('cwltool') }, () => {
  let server: RunningServer;
  before(async () => {
    assertWorks('cwltool');
    server = await startServer(['--executor', 'local', '--max-concurrent-runs', '2']);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a batch started from the form is watched to PROCESSED; its failed run shows its reason and engine log', async () => {
    const wf = await createWorkflow(server.client, { name: 'per-sample', definitionZip: sampleTool, engine: 'CWL' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (err) => problems.push(err.message));
    const first = await page.goto(server.url, { waitUntil: 'networkidle' });
    assert.match(page.url(), /\/ui\/$/, 'a browser at / is sent to the dashboard');
    assert.match(first!.headers()['content-security-policy'] ?? '', /default-src 'self'.*frame-ancestors 'none'/, 'the page is served with its CSP');
    await page.getByRole('link', { name: 'Start a batch' }).first().click();
    await page.fill('input[name=batchName]', 'cohort-ui');
    await page.selectOption('select[name=workflowId]', wf);
    await page.fill('input[name=roleArn]', ROLE);
    await page.fill('input[name=outputUri]', 's3://out/ui/');
    await page.fill('textarea[name=inlineSettings]', JSON.stringify(['ok-1', 'ok-2', 'bad'].map((s) => ({ runSettingId: s, parameters: { sample: s } }))));
    await screenshot(page, 'start-batch-form');
    await page.getByRole('button', { name: 'Start batch' }).click();
    await page.waitForURL(/#\/batches\/\d+$/);
    const batchId = /#\/batches\/(\d+)$/.exec(page.url())![1];
    // The page follows the batch by itself: no reload.
    await page.locator('h1 .status', { hasText: 'PROCESSED' }).waitFor({ timeout: 180_000 });
    await page.locator('[data-reason]', { hasText: 'run' }).waitFor();
    // The run table follows the batch: every run in its final status.
    await page.locator('tr[data-run] .status', { hasText: 'FAILED' }).waitFor();
    assert.deepEqual((await page.locator('tr[data-run] .status').allInnerTexts()).sort(), ['COMPLETED', 'COMPLETED', 'FAILED']);
    await screenshot(page, 'batch-processed');
    const runs = page.getByRole('group', { name: 'runs' });
    assert.match(await runs.innerText(), /completed 2[\s\S]*failed 1/);
    const batch = await server.client.send(new GetBatchCommand({ batchId }));
    assert.equal(batch.name, 'cohort-ui');
    assert.equal(batch.runSummary?.completedRunCount, 2);

    await page.locator('[data-reason] a.chip').first().click();
    await page.waitForURL(/#\/runs\/\d+$/);
    const failure = page.locator('.failure');
    await failure.waitFor();
    assert.match(await failure.innerText(), /\S/, 'the failure reason is shown');
    await page.locator('[data-testid=engine-log]', { hasText: 'sample bad is unusable' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'failed-run');
    assert.deepEqual(problems, [], 'no script error and nothing the CSP refused');
    await page.close();
  });

  test('a batch is cancelled from its page after the confirmation', async () => {
    const wf = await createWorkflow(server.client, { name: 'sleeper', definitionZip: sleeper, engine: 'CWL' });
    const out = await server.client.send(new StartRunBatchCommand({
      batchName: 'to-cancel', defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/cancel/' },
      batchRunSettings: { inlineSettings: ['a', 'b', 'c'].map((s) => ({ runSettingId: s })) },
    }));
    await waitBatchStatus(server.client, out.id!, ['INPROGRESS'], 30_000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/ui/#/batches/${out.id}`);
    await page.getByRole('button', { name: 'Cancel batch' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel batch' });
    await dialog.waitFor();
    await screenshot(page, 'cancel-confirmation');
    // Declining changes nothing.
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    assert.equal((await server.client.send(new GetBatchCommand({ batchId: out.id }))).status, 'INPROGRESS');
    await page.getByRole('button', { name: 'Cancel batch' }).click();
    await dialog.getByRole('button', { name: 'Cancel batch' }).click();
    await page.locator('h1 .status', { hasText: 'CANCELLED' }).waitFor({ timeout: 60_000 });
    assert.equal((await server.client.send(new GetBatchCommand({ batchId: out.id }))).status, 'CANCELLED');
    await screenshot(page, 'batch-cancelled');
    await page.close();
  });

  test('a workflow page lists the workflow\'s versions', async () => {
    const wf = await createWorkflow(server.client, { name: 'versioned', definitionZip: sampleTool, engine: 'CWL' });
    await server.client.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: 'v2.1', description: 'faster', definitionZip: sampleTool, requestId: `v-${wf}` }));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/ui/#/workflows/${wf}`, { waitUntil: 'networkidle' });
    const row = page.locator('table.versions tr', { hasText: 'v2.1' });
    await row.locator('.status', { hasText: 'ACTIVE' }).waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), /faster/);
    await screenshot(page, 'workflow-versions');
    await page.close();
  });

  test('the batch list, on a desktop and on a phone', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${server.url}/ui/`);
    await page.locator('tr[data-batch]').nth(1).waitFor();
    assert.deepEqual(await page.locator('tr[data-batch] td:first-child a').allInnerTexts(), ['to-cancel', 'cohort-ui'], 'newest first');
    await page.waitForTimeout(500);
    await screenshot(page, 'batches');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `nothing wider than a phone (${overflow} px too wide); tables scroll inside their box`);
    await screenshot(page, 'batches-phone');
    await page.close();
  });
});

describe('dashboard with credentials', { skip: browserSkip }, () => {
  test('asks for an access key, refuses a wrong one, then shows the account\'s batches', async (t) => {
    const key = { accessKeyId: 'AKIDDASHBOARD0000001', secretAccessKey: 'dashboard-secret', accountId: '444455556666' };
    const server = await startServer(['--credentials', writeCredentials(tempDir(), [key])]);
    t.after(() => server.stop());
    const wf = await createWorkflow(keyClient(server.url, key));
    await keyClient(server.url, key).send(new StartRunBatchCommand({
      batchName: 'signed', defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/signed/', parameters: { msg: 'hi' } },
      batchRunSettings: { inlineSettings: [{ runSettingId: 'one' }] },
    }));
    const own = await launchBrowser();
    t.after(() => own.close());
    const page: Page = await own.newPage();
    await page.goto(`${server.url}/ui/`);
    await page.fill('input[name=accessKeyId]', key.accessKeyId);
    await page.fill('input[name=secretAccessKey]', 'wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error', { hasText: 'InvalidSignatureException' }).waitFor();
    await page.fill('input[name=secretAccessKey]', key.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('tr[data-batch] a', { hasText: 'signed' }).waitFor();
    await screenshot(page, 'signed-in');
  });
});
