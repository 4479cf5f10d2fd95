/* Aula's service worker, hand-written (no library): registered only when a learner saves a
   course for offline use (app/static/offline/offline.js).

   - Saved courses: one cache per course or module ("aula-saved:<id>"), holding its pages and
     files and, under META, what was saved ({id, title, version, size, saved_at, updated_at}).
   - Pages: from the network when there is one (a saved page's copy is refreshed), else the
     saved copy, else the offline page listing what is saved.
   - Marking done, quiz answers and a project's draft text sent without a connection are
     queued in IndexedDB with a random idempotency key and sent to /offline/actions when the
     connection returns (before the next page loads); the server acts once per key. */
'use strict';

const SAVED = 'aula-saved:';
const META = '/offline/__saved__';
const FALLBACK = '/offline/fallback';
const QUEUED = '/offline/queued';
const QUEUEABLE = /^\/learn\/([a-z0-9-]+)\/([a-z0-9-]+)\/(done|quiz|capstone)$/;
const KINDS = { done: 'done', quiz: 'quiz', capstone: 'draft' };

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/* IndexedDB: one store of queued actions, keyed by their idempotency key. */
function queueStore(mode, work) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('aula-offline', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('queue', { keyPath: 'key' });
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('queue', mode);
      const request = work(tx.objectStore('queue'));
      tx.oncomplete = () => { open.result.close(); resolve(request && request.result); };
      tx.onerror = () => reject(tx.error);
    };
  });
}
const queued = () => queueStore('readonly', (s) => s.getAll());
const enqueue = (action) => queueStore('readwrite', (s) => s.put(action));
const dequeue = (key) => queueStore('readwrite', (s) => s.delete(key));

let flushing = null;
/* Send every queued action, oldest first; keep what could not be sent. */
function flush() {
  if (!flushing) {
    flushing = (async () => {
      const actions = (await queued()).sort((a, b) => a.queued_at - b.queued_at);
      if (!actions.length) return;
      const answer = await fetch('/offline/token', { redirect: 'manual', cache: 'no-store' });
      if (!answer.ok) return; // signed out: keep them until the learner signs in again
      const { token } = await answer.json();
      for (const action of actions) {
        const sent = await fetch('/offline/actions', {
          method: 'POST',
          redirect: 'manual',
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token },
          body: JSON.stringify(action),
        });
        // 200: taken or refused (the server kept the reason); 400: never valid; 409: another
        // learner's, kept until they sign in again. Else (offline, signed out) retry later.
        if (sent.status === 200 || sent.status === 400) await dequeue(action.key);
        else if (sent.status !== 409) break;
      }
    })().catch(() => {}).finally(() => { flushing = null; });
  }
  return flushing;
}

self.addEventListener('sync', (event) => event.waitUntil(flush()));
self.addEventListener('message', (event) => {
  const data = event.data || {};
  const reply = (message) => event.ports[0] && event.ports[0].postMessage(message);
  if (data.type === 'save') event.waitUntil(save(data.manifest).then(reply, (e) => reply({ error: String(e) })));
  if (data.type === 'flush') event.waitUntil(flush().then(() => reply({ ok: true })));
  if (data.type === 'update') event.waitUntil(updateSaved(null).then((updated) => reply({ updated }), () => reply({ updated: [] })));
  if (data.type === 'queue') event.waitUntil(queued().then((all) => reply({ count: all.length })));
});

/* Save (or bring up to date) what a course manifest lists. */
async function save(manifestUrl, previous) {
  const answer = await fetch(manifestUrl, { cache: 'no-store', redirect: 'manual' });
  if (!answer.ok) throw new Error('manifest ' + answer.status);
  const manifest = await answer.json();
  const cache = await caches.open(SAVED + manifest.id);
  let size = 0;
  for (const url of manifest.urls) {
    const response = await fetch(url, { cache: 'no-store', redirect: 'follow' });
    if (!response.ok) throw new Error(url + ' ' + response.status);
    const body = await response.clone().blob();
    size += body.size;
    await cache.put(url, response);
  }
  const now = Date.now();
  const meta = {
    id: manifest.id, title: manifest.title, version: manifest.version, manifest: manifestUrl,
    user: manifest.user,
    page: manifest.page, size, urls: manifest.urls.length,
    saved_at: previous ? previous.saved_at : now, updated_at: previous ? now : null,
  };
  await cache.put(META, new Response(JSON.stringify(meta), { headers: { 'Content-Type': 'application/json' } }));
  return meta;
}

async function savedCaches() {
  return (await caches.keys()).filter((name) => name.startsWith(SAVED));
}

/* A saved course whose content changed (its version: the package hash) saves itself again,
   and its META says when (the saved list shows it). Returns the ids brought up to date. */
async function updateSaved(courseSlug) {
  const updated = [];
  for (const name of await savedCaches()) {
    const id = name.slice(SAVED.length);
    if (courseSlug && id !== courseSlug && !id.startsWith(courseSlug + '/')) continue;
    const stored = await (await caches.open(name)).match(META);
    if (!stored) continue;
    const meta = await stored.json();
    const answer = await fetch(meta.manifest, { cache: 'no-store', redirect: 'manual' });
    if (!answer.ok) continue;
    if ((await answer.json()).version !== meta.version) {
      await save(meta.manifest, meta);
      updated.push(id);
    }
  }
  return updated;
}

const checked = {};
async function navigate(event) {
  const request = event.request;
  try { await flush(); } catch (e) { /* offline: the queue waits */ }
  try {
    const response = await fetch(request);
    const url = new URL(request.url);
    if (response.ok && response.type === 'basic' && !response.redirected) {
      for (const name of await savedCaches()) {
        const cache = await caches.open(name);
        if (await cache.match(url.pathname)) await cache.put(url.pathname, response.clone());
      }
    }
    const course = url.pathname.match(/^\/learn\/([a-z0-9-]+)/);
    if (course && !(checked[course[1]] > Date.now() - 600000)) {
      checked[course[1]] = Date.now();
      event.waitUntil(updateSaved(course[1]).catch(() => {}));
    }
    return response;
  } catch (error) {
    const url = new URL(request.url);
    return (await caches.match(url.pathname, { ignoreSearch: true }))
      || (await caches.match(FALLBACK))
      || Response.error();
  }
}

/* The learner who saved this course on the device (else whoever saved something last). */
async function ownerOf(courseSlug) {
  let owner = null;
  let latest = -1;
  for (const name of await savedCaches()) {
    const stored = await (await caches.open(name)).match(META);
    if (!stored) continue;
    const meta = await stored.json();
    const id = name.slice(SAVED.length);
    if (id === courseSlug || id.startsWith(courseSlug + '/')) return meta.user;
    if (meta.saved_at > latest) { latest = meta.saved_at; owner = meta.user; }
  }
  return owner;
}

/* Signing out: what waits is sent first (as the learner it belongs to), and the saved pages,
   which are that learner's own, leave the device with them. */
async function signOut(request) {
  try { await flush(); } catch (e) { /* sent later */ }
  const response = await fetch(request);
  for (const name of await savedCaches()) await caches.delete(name);
  return response;
}

/* A form sent without a connection: queue it and show the page that says so. */
async function postOrQueue(request, match) {
  const form = await request.clone().formData();
  try {
    return await fetch(request);
  } catch (error) {
    const action = {
      key: self.crypto.randomUUID(), kind: KINDS[match[3]], course: match[1], item: match[2],
      queued_at: Date.now(),
    };
    if (action.kind === 'quiz') {
      action.answers = {};
      for (const [name, value] of form.entries()) {
        const question = name.match(/^q(\d+)$/);
        if (question) (action.answers[question[1]] = action.answers[question[1]] || []).push(String(value));
      }
    }
    if (action.kind === 'draft') action.text = String(form.get('text') || '');
    // Whose work it is: the learner who saved the course (the server refuses it for anyone else).
    action.user = await ownerOf(match[1]);
    await enqueue(action);
    if (self.registration.sync) self.registration.sync.register('aula-queue').catch(() => {});
    return (await caches.match(QUEUED)) || new Response('Queued', { status: 202 });
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST') {
    if (url.pathname === '/logout') return event.respondWith(signOut(request));
    const match = url.pathname.match(QUEUEABLE);
    if (match) event.respondWith(postOrQueue(request, match));
    return;
  }
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    event.respondWith(navigate(event));
  } else if (url.pathname.startsWith('/files/') || url.pathname.startsWith('/static/')) {
    // Stored files and versioned assets never change under one URL: the saved copy first.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
