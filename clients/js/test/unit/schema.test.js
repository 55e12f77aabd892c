// Every request body the SDK makes, checked against the OpenAPI document's schemas (and the
// fakes' answers too, so that the other tests talk to something shaped like progressd).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';

import { attach } from '../../src/index.js';
import { FakeFetch, json, settle, setup, summaryOf } from './fakes.js';

const OPENAPI = fileURLToPath(new URL('../../../../docs/openapi.json', import.meta.url));

function loadSchemas() {
    const document = JSON.parse(fs.readFileSync(OPENAPI, 'utf8'));
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: 'openapi.json', components: document.components });
    const check = (name) => {
        const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
        assert.ok(validate, `the OpenAPI document has components.schemas.${name}`);
        return (value, what) => assert.ok(validate(value),
                                          `${what} is not a ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
    };
    return { ping: check('ProgressPing'), batch: check('BatchRequest'), summary: check('ProgressSummary'),
             batchResponse: check('BatchResponse'), record: check('ProgressRecord'), problem: check('Problem') };
}

const present = fs.existsSync(OPENAPI);

test('every ping and batch the SDK sends is valid', { skip: !present && 'docs/openapi.json is missing' }, async () => {
    const schemas = loadSchemas();
    let down = false;
    const server = new FakeFetch((request) => {
        if (down && !request.keepalive) throw new TypeError('Failed to fetch');
        return FakeFetch.accepting(request);
    });
    const { media, clock, doc, win, options } = setup({ server, options: {
        contextId: 'batch-7', collectionId: 'course-1', userId: 'alice', mimetype: 'video/mp4',
        details: { quality: '720p' }, updateIntervalSeconds: 2 } });
    const tracker = attach(media, options);
    media.play();
    await media.playFor(4.5);
    media.playbackRate = 1.5;
    media.fire('ratechange');
    await media.playFor(1);
    media.pause();
    media.seek(30.123456);
    media.play();
    down = true;
    await media.playFor(0.75);
    doc.hide();
    doc.show();
    win.dispatchEvent(new Event('pagehide'));
    down = false;
    await clock.tick(clock.nextDelay() ?? 0);
    media.reachEnd();
    await tracker.detach();

    const posts = server.posts;
    const events = new Set(server.pings.map((p) => p.event));
    assert.deepEqual([...events].sort(), ['end', 'start', 'update']);
    assert.ok(posts.some((r) => r.url.endsWith('/batch')), 'a batch was sent');
    assert.ok(posts.some((r) => r.keepalive), 'a keepalive request was sent');
    for (const request of posts) {
        if (request.url.endsWith('/v1/progress/batch')) schemas.batch(request.body, 'a batch');
        else schemas.ping(request.body, 'a ping');
    }
});

test('a ping with no duration and nothing optional is valid too', { skip: !present && 'docs/openapi.json is missing' }, async () => {
    const schemas = loadSchemas();
    const { media, server, options } = setup();
    media.duration = NaN;
    media.position = NaN;
    attach(media, options);
    media.play();
    await settle();
    schemas.ping(server.pings[0], 'a bare ping');
});

test('the fakes answer as progressd does', { skip: !present && 'docs/openapi.json is missing' }, async () => {
    const schemas = loadSchemas();
    const ping = { content_id: 'lesson-1', context_id: '', position_seconds: 3 };
    schemas.summary(summaryOf(ping), 'the fake summary');
    const batch = await FakeFetch.accepting({ method: 'POST', url: 'x/v1/progress/batch', body: { pings: [ping] } }).json();
    schemas.batchResponse(batch, 'the fake batch answer');
});

test('a full record from the server resumes', { skip: !present && 'docs/openapi.json is missing' }, async () => {
    const schemas = loadSchemas();
    const record = {
        user_id: 'alice', context_id: '', content_id: 'lesson-1', record_id: '0f8e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', status: 1, completed: false,
        progress_percent: 30, watched_percent: 30, hidden: false, position_seconds: 30, duration_seconds: 100,
        time_spent_seconds: 30, views: 1, first_accessed_at: 1700000000000, last_accessed_at: 1700000000000,
        updated_at: 1700000000000, completed_at: null, mimetype: null, details: null,
    };
    schemas.record(record, 'the fixture');
    const server = new FakeFetch((request) => (request.method === 'GET' ? json(200, record) : FakeFetch.accepting(request)));
    const { media, options } = setup({ server, options: { resume: true } });
    assert.equal(await attach(media, options).resumed, 30);
});

test('a problem from the server reaches onError with its detail', { skip: !present && 'docs/openapi.json is missing' }, async () => {
    const schemas = loadSchemas();
    const problem = { type: 'https://progressd.dev/problems/validation', title: 'Invalid request', status: 422,
                      detail: 'details must be at most 4096 bytes', errors: [{ field: 'details', message: 'too large' }] };
    schemas.problem(problem, 'the fixture');
    const server = new FakeFetch(() => json(422, problem, { 'Content-Type': 'application/problem+json' }));
    const { media, errors, options } = setup({ server });
    attach(media, options);
    media.play();
    await settle();
    assert.equal(errors[0].code, 'dropped');
    assert.deepEqual(errors[0].problem, problem);
    assert.match(errors[0].message, /details must be at most 4096 bytes/);
});

test('index.d.ts names its wire types after components of the OpenAPI document', { skip: !present && 'docs/openapi.json is missing' }, () => {
    const { components } = JSON.parse(fs.readFileSync(OPENAPI, 'utf8'));
    const types = fs.readFileSync(fileURLToPath(new URL('../../index.d.ts', import.meta.url)), 'utf8');
    const cited = [...types.matchAll(/\(components\.schemas\.(\w+)\)\. \*\/\nexport (?:interface|type) (\w+)/g)]
        .map(([, component, name]) => [name, component]);
    assert.ok(cited.length >= 8, `found ${cited.length} wire types`);
    for (const [name, component] of cited) {
        assert.equal(name, component, `${name} is documented as components.schemas.${component}`);
        assert.ok(components.schemas[component], `components.schemas.${component} exists`);
    }
    for (const required of ['ProgressPing', 'ProgressSummary', 'ProgressRecord', 'BatchRequest', 'BatchResponse', 'Problem']) {
        assert.ok(cited.some(([name]) => name === required), `index.d.ts declares ${required}`);
    }
});
