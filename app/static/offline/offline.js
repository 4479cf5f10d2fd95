/* Saving courses for offline use (only on the offline pages, after the learner asks).
   Registers the service worker (sw.js), asks it to save a course or module, lists what is
   saved on this device with its size, and removes it. The texts come from the page. */
'use strict';
(function () {
  const SAVED = 'aula-saved:';
  const META = '/offline/__saved__';

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
  }
  function size(bytes) {
    const lang = document.documentElement.lang || undefined;
    if (bytes < 1048576) return Math.ceil(bytes / 1024).toLocaleString(lang) + ' KB';
    return (Math.round(bytes / 104857.6) / 10).toLocaleString(lang) + ' MB';
  }
  function day(ms) {
    return new Date(ms).toLocaleString(document.documentElement.lang || undefined,
      { dateStyle: 'medium', timeStyle: 'short' });
  }
  function ask(worker, message) {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data);
      worker.postMessage(message, [channel.port2]);
    });
  }
  async function worker(url) {
    await navigator.serviceWorker.register(url, { scope: '/' });
    const ready = await navigator.serviceWorker.ready;
    return ready.active;
  }

  async function listSaved(box) {
    const list = box.querySelector('[data-list]');
    const names = (await caches.keys()).filter((name) => name.startsWith(SAVED));
    list.textContent = '';
    let total = 0;
    for (const name of names) {
      const stored = await (await caches.open(name)).match(META);
      if (!stored) continue;
      const meta = await stored.json();
      total += meta.size;
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = meta.page;
      link.textContent = meta.title;
      item.append(link, ' · ' + size(meta.size) + ' · ' + format(box.dataset.msgSavedOn, { date: day(meta.saved_at) }) + ' ');
      if (meta.updated_at) {
        const note = document.createElement('strong');
        note.textContent = format(box.dataset.msgUpdated, { date: day(meta.updated_at) }) + ' ';
        item.append(note);
      }
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'link';
      remove.textContent = box.dataset.msgRemove;
      remove.setAttribute('aria-label', box.dataset.msgRemove + ': ' + meta.title);
      remove.addEventListener('click', async () => { await caches.delete(name); listSaved(box); });
      item.append(remove);
      list.append(item);
    }
    box.querySelector('[data-total]').textContent = names.length
      ? format(box.dataset.msgTotal, { size: size(total) }) : box.dataset.msgNone;
    const active = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (active) {
      const { count } = await ask(active, { type: 'queue' });
      box.querySelector('[data-queue]').textContent = count ? format(box.dataset.msgQueued, { count }) : '';
    }
    box.hidden = false;
  }

  function setUpSaving(box) {
    const status = box.querySelector('[data-status]');
    if (!('serviceWorker' in navigator) || !('caches' in window)) {
      status.textContent = box.dataset.msgUnsupported;
      box.hidden = false;
      return;
    }
    const buttons = document.querySelectorAll('[data-save]');
    buttons.forEach((button) => {
      const holder = button.closest('.offline-module');
      if (holder) holder.hidden = false;
      button.addEventListener('click', async () => {
        buttons.forEach((b) => { b.disabled = true; });
        status.textContent = box.dataset.msgSaving;
        try {
          const active = await worker(box.dataset.worker);
          const module = button.dataset.save;
          const manifest = box.dataset.manifest + (module ? '?module=' + encodeURIComponent(module) : '');
          const answer = await ask(active, { type: 'save', manifest });
          if (answer.error) throw new Error(answer.error);
          status.textContent = box.dataset.msgSaved + ' ' + answer.title + ' · ' + size(answer.size);
        } catch (error) {
          status.textContent = box.dataset.msgFailed;
        }
        buttons.forEach((b) => { b.disabled = false; });
      });
    });
    box.hidden = false;
  }

  const saving = document.getElementById('offline-save');
  if (saving) setUpSaving(saving);
  const saved = document.getElementById('offline-saved');
  if (saved && 'caches' in window) {
    listSaved(saved);
    const active = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (active && navigator.onLine) {
      // Send what waits, and bring saved courses whose content changed up to date.
      ask(active, { type: 'flush' });
      ask(active, { type: 'update' }).then((answer) => {
        if (answer.updated && answer.updated.length) listSaved(saved);
      });
    }
  }
})();
