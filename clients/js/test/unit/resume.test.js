// Resume: read the record, seek to its position once the metadata is loaded, unless completed,
// near the end, not found, or the user moved first.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { attach } from '../../src/index.js';
import { FakeFetch, json, settle, setup } from './fakes.js';

function recordServer(record, status = 200) {
    return new FakeFetch((request) => (request.method === 'GET'
        ? json(status, record)
        : FakeFetch.accepting(request)));
}

const record = (fields) => ({ user_id: 'alice', context_id: 'batch-7', content_id: 'lesson 1/a', status: 1,
                              completed: false, progress_percent: 42, position_seconds: 42,
                              duration_seconds: 100, ...fields });

test('seeks to the saved position, without an update ping for that seek', async () => {
    const server = recordServer(record());
    const { media, options } = setup({ server, options: { resume: true, contentId: 'lesson 1/a',
                                                          contextId: 'batch-7', userId: 'alice' } });
    const tracker = attach(media, options);
    assert.equal(await tracker.resumed, 42);
    assert.equal(media.currentTime, 42);
    const [get] = server.requests;
    assert.equal(get.method, 'GET');
    assert.equal(get.url, 'https://progress.test/v1/progress/lesson%201%2Fa?context_id=batch-7&user_id=alice');
    assert.equal(get.headers.Authorization, 'Bearer api-key-1');
    await settle();
    assert.equal(server.posts.length, 0);
    media.play();
    await media.playFor(1);
    media.pause();
    await settle();
    assert.deepEqual(server.pings.map((p) => [p.event, p.seq, p.position_seconds]), [['start', 1, 42], ['update', 2, 43]]);
    assert.deepEqual(server.pings[1].segments, [[42, 43]]);
});

test('organic use asks with context_id=""', async () => {
    const server = recordServer(record());
    const { media, options } = setup({ server, options: { resume: true } });
    await attach(media, options).resumed;
    assert.equal(server.requests[0].url, 'https://progress.test/v1/progress/lesson-1?context_id=');
});

test('waits for the metadata before seeking', async () => {
    const server = recordServer(record());
    const { media, options } = setup({ server, options: { resume: true } });
    media.readyState = 0;
    media.duration = NaN;
    const tracker = attach(media, options);
    await settle();
    assert.deepEqual(media.seeks, []);
    media.readyState = 1;
    media.duration = 100;
    media.fire('loadedmetadata');
    assert.equal(await tracker.resumed, 42);
    assert.deepEqual(media.seeks, [42]);
});

test('no seek when completed, near the end, at 0 or not found', async () => {
    const cases = [
        [record({ completed: true, status: 2 }), 200],
        [record({ position_seconds: 91 }), 200],
        [record({ position_seconds: 0 }), 200],
        [{ status: 404, title: 'Not found' }, 404],
    ];
    for (const [body, status] of cases) {
        const { media, errors, options } = setup({ server: recordServer(body, status), options: { resume: true } });
        assert.equal(await attach(media, options).resumed, null, JSON.stringify(body));
        assert.deepEqual(media.seeks, []);
        assert.equal(errors.length, 0);
    }
});

test('resumeNearEndSeconds chooses what counts as near the end', async () => {
    const server = recordServer(record({ position_seconds: 91 }));
    const { media, options } = setup({ server, options: { resume: true, resumeNearEndSeconds: 5 } });
    assert.equal(await attach(media, options).resumed, 91);
});

test('the near-end rule uses the record\'s duration when the media has none', async () => {
    const server = recordServer(record({ position_seconds: 95, duration_seconds: 100 }));
    const { media, options } = setup({ server, options: { resume: true } });
    media.duration = Infinity;
    assert.equal(await attach(media, options).resumed, null);
});

test('resume: false reads nothing', async () => {
    const server = recordServer(record());
    const { media, options } = setup({ server, options: { resume: false } });
    assert.equal(await attach(media, options).resumed, null);
    assert.equal(server.requests.length, 0);
});

test('a failed read is reported and resolves null', async () => {
    const server = recordServer({ status: 500, title: 'Internal' }, 500);
    const { media, errors, options } = setup({ server, options: { resume: true } });
    assert.equal(await attach(media, options).resumed, null);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'resume');
    assert.equal(errors[0].status, 500);
});

test('a user who seeks first keeps their position', async () => {
    let answer;
    const server = new FakeFetch((request) => (request.method === 'GET'
        ? new Promise((resolve) => { answer = () => resolve(json(200, record())); })
        : FakeFetch.accepting(request)));
    const { media, options } = setup({ server, options: { resume: true } });
    const tracker = attach(media, options);
    await settle();
    media.seek(10);
    answer();
    assert.equal(await tracker.resumed, null);
    assert.equal(media.currentTime, 10);
});

test('detached before the metadata: no seek', async () => {
    const server = recordServer(record());
    const { media, options } = setup({ server, options: { resume: true } });
    media.readyState = 0;
    const tracker = attach(media, options);
    await settle();
    await tracker.detach();
    assert.equal(await tracker.resumed, null);
    assert.deepEqual(media.seeks, []);
});
