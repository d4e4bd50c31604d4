'use strict';
// tailwatch live alert viewer: reads /events (server-sent events) and renders alerts and per-line histograms.
(function () {
  const MAX_ALERTS = 200;          // cards kept on the page
  const MAX_SCORES = 1000;         // recent scores kept per line for its histogram
  const BINS = 30;

  const lines = new Map();         // lineId -> {scores: [], threshold, sources: Set, canvas, caption, card}
  const alertsBox = document.getElementById('alerts');
  const histBox = document.getElementById('histograms');
  const lineFilter = document.getElementById('line-filter');
  const sourceFilter = document.getElementById('source-filter');
  const status = document.getElementById('status');
  let alertCount = 0;
  let scoreCount = 0;
  let redraw = new Set();

  function addOption(select, value) {
    if ([...select.options].some(o => o.value === value)) return;
    const o = document.createElement('option');
    o.value = value;
    o.textContent = value;
    select.appendChild(o);
  }

  function line(lineId) {
    let l = lines.get(lineId);
    if (!l) {
      const card = document.createElement('div');
      card.className = 'histogram';
      card.dataset.line = lineId;
      const title = document.createElement('div');
      title.textContent = lineId;
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 140;
      canvas.id = 'hist-' + lineId;
      const caption = document.createElement('div');
      caption.className = 'caption';
      card.append(title, canvas, caption);
      histBox.appendChild(card);
      l = {scores: [], frames: [], seen: new Set(), threshold: NaN, canvas, caption, card};
      lines.set(lineId, l);
      addOption(lineFilter, lineId);
      applyFilters();
    }
    return l;
  }

  function drawHistogram(lineId) {
    const l = lines.get(lineId);
    const ctx = l.canvas.getContext('2d');
    const w = l.canvas.width, h = l.canvas.height;
    ctx.clearRect(0, 0, w, h);
    if (l.scores.length === 0) return;
    // log-spaced bins: image scores are right-skewed (a long tail of rare variants and defects),
    // and a log axis shows the body and the tail at once
    const positive = l.scores.filter(s => s > 0);
    if (positive.length === 0) return;
    let lo = Math.min(...positive), hi = Math.max(...positive);
    if (!isNaN(l.threshold) && l.threshold > 0) {
      lo = Math.min(lo, l.threshold); hi = Math.max(hi, l.threshold * 1.05);
    }
    if (hi <= lo) hi = lo * 1.1 + 1e-9;
    const logLo = Math.log(lo), span = Math.log(hi) - logLo;
    const xOf = v => (Math.log(v) - logLo) / span;
    const counts = new Array(BINS).fill(0);
    for (const s of positive) counts[Math.max(0, Math.min(BINS - 1, Math.floor(xOf(s) * BINS)))]++;
    const top = Math.max(...counts);
    const bw = w / BINS;
    counts.forEach((c, i) => {
      const binLow = Math.exp(logLo + span * i / BINS);
      ctx.fillStyle = !isNaN(l.threshold) && binLow >= l.threshold ? '#c92a2a' : '#4263eb';
      const bh = (h - 14) * c / top;
      ctx.fillRect(i * bw + 1, h - 14 - bh, bw - 2, bh);
    });
    ctx.fillStyle = '#555';
    ctx.font = '10px sans-serif';
    ctx.fillText(lo.toPrecision(3), 2, h - 2);
    ctx.fillText('log scale', w / 2 - 20, h - 2);
    ctx.fillText(hi.toPrecision(3), w - 40, h - 2);
    if (!isNaN(l.threshold) && l.threshold > 0) {
      const x = xOf(l.threshold) * w;
      ctx.strokeStyle = '#e03131';
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h - 14); ctx.stroke();
      ctx.setLineDash([]);
    }
    l.card.dataset.scale = 'log';
    const over = l.scores.filter(s => s >= l.threshold).length;
    l.caption.textContent = l.scores.length + ' scores · threshold ' +
        (isNaN(l.threshold) ? '?' : l.threshold.toPrecision(4)) + ' · ' + over + ' above';
    l.card.dataset.threshold = String(l.threshold);
    l.card.dataset.count = String(l.scores.length);
  }

  function onScore(s) {
    const l = line(s.lineId);
    if (l.seen.has(s.frameId)) return; // a reconnect replays recent events
    l.seen.add(s.frameId);
    l.frames.push(s.frameId);
    l.scores.push(s.score);
    if (l.scores.length > MAX_SCORES) { l.scores.shift(); l.seen.delete(l.frames.shift()); }
    l.threshold = s.threshold;
    addOption(sourceFilter, s.sourceId);
    scoreCount++;
    document.getElementById('score-count').textContent = scoreCount;
    redraw.add(s.lineId);
  }

  function onStatistics(s) {
    const l = line(s.lineId);
    l.threshold = s.threshold;
    redraw.add(s.lineId);
    showDrift(s);
  }

  // one banner per line in drift: it keeps alerting and nothing of it is learned until it ends
  function showDrift(s) {
    const id = 'drift-' + s.lineId;
    let banner = document.getElementById(id);
    if (!s.driftActive) {
      if (banner) banner.remove();
      return;
    }
    if (!banner) {
      banner = document.createElement('div');
      banner.id = id;
      banner.className = 'drift';
      document.getElementById('drift-banners').appendChild(banner);
    }
    banner.textContent = 'Line ' + s.lineId + ' in drift: ' + (100 * s.driftShare).toFixed(1)
      + '% of its last ' + s.driftWindow + ' frames alerted'
      + (s.driftMedianScore !== undefined ? ' (median score ' + s.driftMedianScore.toPrecision(4) + ')' : '')
      + '. It keeps alerting; check the line, or refit the bank if this is the new normal.';
  }

  // jet colours for a gray level t in [0, 1], opacity growing with it, as the job's overlay draws them
  function jet(t) {
    const c = (v) => Math.round(255 * Math.max(0, Math.min(1, v)));
    return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
  }

  function colourMap(img) {
    const canvas = document.createElement('canvas');
    canvas.className = 'heatmap';
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const d = pixels.data;
    for (let i = 0; i < d.length; i += 4) {
      const t = d[i] / 255;
      const [r, g, b] = jet(t);
      const alpha = 0.15 + 0.85 * t;
      d[i] = Math.round(alpha * r);
      d[i + 1] = Math.round(alpha * g);
      d[i + 2] = Math.round(alpha * b);
      d[i + 3] = 255;
    }
    ctx.putImageData(pixels, 0, 0);
    return canvas;
  }

  const seenAlerts = new Set();

  function onAlert(a) {
    if (seenAlerts.has(a.alertId)) return; // a reconnect replays recent events
    seenAlerts.add(a.alertId);
    const none = document.getElementById('no-alerts');
    if (none) none.remove();
    const card = document.createElement('div');
    card.className = 'alert';
    card.dataset.line = a.lineId;
    card.dataset.source = a.sourceId;
    card.dataset.alertId = a.alertId;
    const frame = document.createElement('div');
    frame.className = 'frame';
    if (a.heatmap) {
      const img = document.createElement('img');
      img.className = 'heatmap';
      img.alt = 'heatmap of ' + a.frameId;
      img.onload = () => {
        // regions are in frame pixels; the heatmap may be the frame scaled down (alerts.heatmap.max-side)
        const fw = a.frameWidth || img.naturalWidth;
        const fh = a.frameHeight || img.naturalHeight;
        for (const r of a.regions) {
          const box = document.createElement('div');
          box.className = 'region';
          box.style.left = (100 * r.x / fw) + '%';
          box.style.top = (100 * r.y / fh) + '%';
          box.style.width = (100 * r.width / fw) + '%';
          box.style.height = (100 * r.height / fh) + '%';
          box.title = r.area + ' px, max ' + r.maxScore.toPrecision(3);
          frame.appendChild(box);
        }
        if (a.heatmapFormat === 'map') {
          // the job's default heatmap is the map in 8-bit gray (alerts.heatmap.format=map): colour it here
          const canvas = colourMap(img);
          frame.replaceChild(canvas, img);
          card.dataset.heatmapColoured = 'jet';
        }
        card.dataset.heatmapLoaded = img.naturalWidth + 'x' + img.naturalHeight;
      };
      img.src = a.heatmap;
      frame.appendChild(img);
    }
    const score = document.createElement('div');
    score.className = 'score';
    score.textContent = 'score ' + a.score.toPrecision(4) + ' > ' + a.threshold.toPrecision(4) +
        '  (p = ' + a.calibratedScore.toPrecision(3) + ')';
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = a.lineId + ' / ' + a.sourceId + ' · ' + a.frameId + ' · ' +
        new Date(a.detectTime).toLocaleTimeString() + ' · ' + a.latencyMs + ' ms · ' +
        a.regions.length + ' region(s) · bank ' + a.bankVersion;
    card.append(frame, score, meta);
    alertsBox.prepend(card);
    while (alertsBox.children.length > MAX_ALERTS) {
      seenAlerts.delete(alertsBox.lastElementChild.dataset.alertId);
      alertsBox.lastElementChild.remove();
    }
    line(a.lineId);
    addOption(sourceFilter, a.sourceId);
    alertCount++;
    document.getElementById('alert-count').textContent = alertCount;
    applyFilter(card);
  }

  function applyFilter(el) {
    const lf = lineFilter.value, sf = sourceFilter.value;
    const hide = (lf && el.dataset.line !== lf) || (sf && el.dataset.source !== undefined && el.dataset.source !== sf);
    el.classList.toggle('hidden', Boolean(hide));
  }

  function applyFilters() {
    document.querySelectorAll('.alert, .histogram').forEach(applyFilter);
  }

  lineFilter.addEventListener('change', applyFilters);
  sourceFilter.addEventListener('change', applyFilters);

  function handler(fn) {
    return ev => {
      try { fn(JSON.parse(ev.data)); } catch (e) { console.error('bad event', e, ev.data); }
    };
  }

  // the page's link to the viewer (the event stream) and the viewer's link to Kafka (/healthz) are
  // both shown: "connected" only when both hold
  let streamOpen = false;
  let kafkaConnected = null;
  function showStatus() {
    if (!streamOpen) { status.textContent = 'reconnecting…'; status.className = 'status connecting'; }
    else if (kafkaConnected === false) {
      status.textContent = 'disconnected (Kafka unreachable)'; status.className = 'status disconnected';
    } else { status.textContent = 'connected'; status.className = 'status connected'; }
  }
  function checkHealth() {
    fetch('healthz', {cache: 'no-store'})
      .then(r => { kafkaConnected = r.ok; })
      .catch(() => { kafkaConnected = false; streamOpen = false; })
      .finally(showStatus);
  }
  setInterval(checkHealth, 2000);
  const events = new EventSource('events');
  events.onopen = () => { streamOpen = true; checkHealth(); };
  events.onerror = () => { streamOpen = false; showStatus(); };
  events.addEventListener('alert', handler(onAlert));
  events.addEventListener('score', handler(onScore));
  events.addEventListener('statistics', handler(onStatistics));

  // histograms are redrawn at most a few times a second, however fast scores arrive
  setInterval(() => { redraw.forEach(drawHistogram); redraw = new Set(); }, 250);
})();
