// The demo's course page. Everything it shows comes from progressd's live API: the course and
// its lessons (GET /v1/contents/{id}), the aggregate and per-lesson progress
// (GET /v1/collections/{id}/progress), the continue-watching row (GET /v1/users/me/continue).
// The player is the SDK's attach(); after each delivered ping the page reads the API again.
import { attach } from '/src/index.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/runtime/config.json')).json();
const video = $('video');
let lessons = [];        // catalog entries of the course's lessons, in course order
let tracker = null;
let currentId = null;
let refreshTimer = null;

async function api(path) {
  const response = await fetch(config.api + path, { headers: { Authorization: `Bearer ${config.token}` } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function minutes(seconds) {
  const m = Math.round((seconds || 0) / 60);
  return m < 1 ? `${Math.round(seconds || 0)} s` : `${m} min`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function bar(percent) {
  const outer = element('div', 'bar');
  const inner = element('i');
  inner.style.width = `${Math.min(100, percent)}%`;
  outer.append(inner);
  return outer;
}

function renderAggregate(aggregate) {
  const percent = Math.round(aggregate.progress_percent);
  $('aggregate').dataset.percent = String(percent);
  $('aggregate-percent').textContent = `${percent}%`;
  $('aggregate-bar').style.width = `${aggregate.progress_percent}%`;
  const { total, completed } = aggregate.counts;
  $('aggregate-detail').textContent =
    `${completed} of ${total} lessons completed · ${minutes(aggregate.time_spent_seconds)} watched`;
}

function renderLessons(aggregate) {
  const byId = new Map(aggregate.children.map((child) => [child.content_id, child]));
  const list = $('lessons');
  list.replaceChildren(...lessons.map((lesson, i) => {
    const child = byId.get(lesson.id) || { progress_percent: 0, status: 0 };
    const percent = Math.round(child.progress_percent);
    const item = element('li', [
      'lesson', child.completed ? 'done' : '', lesson.id === currentId ? 'current' : ''].join(' ').trim());
    item.dataset.contentId = lesson.id;
    item.dataset.percent = String(percent);
    const button = element('button');
    button.type = 'button';
    button.addEventListener('click', () => play(lesson.id));
    const mark = element('span', 'mark', child.completed ? '✓' : String(i + 1));
    const body = element('span', 'lesson-body');
    body.append(element('span', 'lesson-title', lesson.title),
      element('span', 'lesson-meta', child.status === 0 ? clock(lesson.duration_seconds)
        : `${clock(child.position_seconds)} / ${clock(lesson.duration_seconds)}`),
      bar(child.progress_percent));
    button.append(mark, body, element('span', 'pct', `${percent}%`));
    item.append(button);
    return item;
  }));
}

function renderContinue(results) {
  const row = $('continue');
  if (results.length === 0) {
    row.replaceChildren(element('p', 'muted empty', 'Nothing in progress yet: start a lesson above.'));
    return;
  }
  row.replaceChildren(...results.map((record) => {
    const card = element('button', 'card tile');
    card.type = 'button';
    card.dataset.contentId = record.content_id;
    card.dataset.percent = String(Math.round(record.progress_percent));
    card.addEventListener('click', () => play(record.content_id));
    card.append(element('span', 'tile-title', record.title || record.content_id),
      element('span', 'muted small', `${clock(record.position_seconds)} of ${clock(record.duration_seconds)} · ` +
        `${Math.round(record.progress_percent)}%`),
      bar(record.progress_percent));
    return card;
  }));
}

async function refresh() {
  const [aggregate, continuing] = await Promise.all([
    api(`/v1/collections/${encodeURIComponent(config.courseId)}/progress`),
    api('/v1/users/me/continue?limit=6'),
  ]);
  renderAggregate(aggregate);
  renderLessons(aggregate);
  renderContinue(continuing.results);
  $('footer').textContent = `Live from progressd at ${config.api} · updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.refreshed = String(Date.now());
  return aggregate;
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh().catch(showError), 150);
}

function showError(error) {
  $('footer').textContent = `progressd: ${error.message || error}`;
}

async function play(lessonId) {
  if (lessonId === currentId) return;
  const lesson = lessons.find((l) => l.id === lessonId);
  if (!lesson) return;
  if (tracker) await tracker.detach();
  currentId = lessonId;
  history.replaceState(null, '', `?lesson=${encodeURIComponent(lessonId)}`);
  const number = lessons.indexOf(lesson) + 1;
  $('lesson-number').textContent = `Lesson ${number} of ${lessons.length}`;
  $('lesson-title').textContent = lesson.title;
  $('lesson-description').textContent = lesson.attributes?.description || '';
  $('lesson-status').textContent = '';
  video.src = lesson.attributes.media_url;
  tracker = attach(video, {
    url: config.api,
    token: config.token,
    contentId: lesson.id,
    collectionId: config.courseId,
    updateIntervalSeconds: 5,
    mimetype: lesson.attributes.media_type,
    onPing: (ping) => {
      $('lesson-status').textContent = `Saved at ${clock(ping.position_seconds)}`;
      refreshSoon();
    },
    onError: showError,
  });
  window.tracker = tracker;
  const resumedAt = await tracker.resumed;
  $('lesson-status').textContent = resumedAt === null ? 'Starting from the beginning' : `Resumed at ${clock(resumedAt)}`;
  await refresh().catch(showError);
}

async function start() {
  $('user').textContent = config.user;
  const course = await api(`/v1/contents/${encodeURIComponent(config.courseId)}`);
  document.title = `${course.title} · progressd demo`;
  $('course-title').textContent = course.title;
  $('course-description').textContent = course.attributes?.description || '';
  lessons = await Promise.all(course.children.map((id) => api(`/v1/contents/${encodeURIComponent(id)}`)));
  const aggregate = await refresh();
  const asked = new URLSearchParams(location.search).get('lesson');
  await play(lessons.some((l) => l.id === asked) ? asked : aggregate.current_content_id || lessons[0].id);
  document.body.dataset.ready = 'true';
}

start().catch(showError);
