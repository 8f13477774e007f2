// pcapdex report: builds the sections and their uPlot charts from the JSON in
// the report-data JSON element. No network, no eval, no innerHTML.
(function () {
  "use strict";
  var tStart = performance.now();
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var root = document.documentElement;
  var state = {
    utc: true,
    dark: window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches,
  };
  var specs = []; // {box, make(width) -> uPlot}
  var live = [];

  function h(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (k === "text") e.textContent = attrs[k];
        else if (k === "cls") e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function css(name) {
    return getComputedStyle(root).getPropertyValue(name).trim();
  }
  function color(i) {
    return css("--c" + (i % 8));
  }
  function secs(rfc) {
    return Date.parse(rfc) / 1000;
  }

  // Units.
  function si(v, unit) {
    if (v == null || isNaN(v)) return "--";
    var a = Math.abs(v), p = ["", "k", "M", "G", "T", "P"], i = 0;
    while (a >= 1000 && i < p.length - 1) { a /= 1000; v /= 1000; i++; }
    return (Math.abs(v) >= 100 || i === 0 ? Math.round(v * 10) / 10 : v.toPrecision(3)) + " " + p[i] + unit;
  }
  function bytes(v) { return si(v, "B"); }
  function dur(ns) {
    if (ns == null) return "--";
    var s = ns / 1e9;
    if (s < 1e-3) return (ns / 1e3).toFixed(1) + " µs";
    if (s < 1) return (ns / 1e6).toFixed(1) + " ms";
    if (s < 120) return s.toFixed(2) + " s";
    if (s < 7200) return (s / 60).toFixed(1) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  // timeTicks labels a time axis in 24-hour time, UTC or local per the toggle: dates for
  // ticks a day or more apart, HH:MM for minutes, HH:MM:SS and milliseconds below.
  function timeTicks(u, vs, ax, space, incr) {
    return vs.map(function (v) {
      var d = new Date(v * 1000), utc = state.utc;
      var Y = utc ? d.getUTCFullYear() : d.getFullYear(), M = (utc ? d.getUTCMonth() : d.getMonth()) + 1, D = utc ? d.getUTCDate() : d.getDate();
      var h = utc ? d.getUTCHours() : d.getHours(), m = utc ? d.getUTCMinutes() : d.getMinutes(), s = utc ? d.getUTCSeconds() : d.getSeconds();
      var ms = utc ? d.getUTCMilliseconds() : d.getMilliseconds();
      if (incr >= 86400) return Y + "-" + pad(M) + "-" + pad(D);
      var hm = pad(h) + ":" + pad(m);
      if (incr >= 60) return h === 0 && m === 0 ? pad(M) + "-" + pad(D) : hm;
      if (incr >= 1) return hm + ":" + pad(s);
      return pad(m) + ":" + pad(s) + "." + String(ms).padStart(3, "0");
    });
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmtTime(sec) {
    if (sec == null) return "--";
    var d = new Date(sec * 1000);
    if (state.utc) {
      return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "." +
        String(d.getUTCMilliseconds()).padStart(3, "0") + " UTC";
    }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
      String(d.getMilliseconds()).padStart(3, "0") + " local";
  }

  // Charts: a spec is rebuilt on theme, time zone and width changes.
  function axisStyle(a) {
    a.stroke = css("--muted");
    a.grid = { stroke: css("--grid"), width: 1 };
    a.ticks = { stroke: css("--grid"), width: 1 };
    return a;
  }
  function chart(box, title, make) {
    var holder = h("div", { cls: "chart", "data-chart": title });
    box.appendChild(holder);
    specs.push({ box: holder, title: title, make: make });
  }
  function baseOpts(title, width, height, timeX) {
    var o = {
      title: title, width: width, height: height || 240,
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: { x: { time: !!timeX } },
      axes: [axisStyle({}), axisStyle({ size: 72 })],
      series: [{}],
      legend: { live: true },
    };
    if (timeX) {
      o.tzDate = state.utc ? function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); } : function (ts) { return new Date(ts * 1e3); };
      o.series[0] = { label: state.utc ? "time (UTC)" : "time (local)", value: function (u, v) { return fmtTime(v); } };
      o.axes[0].values = timeTicks;
      o.axes[0].space = 90;
    }
    return o;
  }
  function line(label, i, scale, fmt, extra) {
    var s = { label: label, stroke: color(i), width: 1.5, scale: scale || "y", spanGaps: true, points: { show: false } };
    if (fmt) s.value = function (u, v) { return v == null ? "--" : fmt(v); };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }
  function dots(label, i, scale, fmt, size) {
    return line(label, i, scale, fmt, { paths: function () { return null; }, points: { show: true, size: size || 4, fill: color(i), stroke: color(i) } });
  }
  var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.9, 60] }) : null;

  // buildAll (re)draws every chart in slices of about 40 ms, so the first screen shows
  // at once and a long report stays responsive; data-charts is set when all are drawn.
  var generation = 0;
  function buildAll() {
    var t0 = performance.now(), gen = ++generation, i = 0;
    root.removeAttribute("data-charts");
    live.forEach(function (u) { u.destroy(); });
    live = [];
    function slice() {
      if (gen !== generation) return;
      var t1 = performance.now();
      while (i < specs.length && performance.now() - t1 < 40) {
        var s = specs[i++];
        while (s.box.firstChild) s.box.removeChild(s.box.firstChild);
        var w = Math.max(320, Math.min(s.box.parentNode.clientWidth || 900, 1360) - 10);
        live.push(s.make(w, s.box));
      }
      if (!root.hasAttribute("data-first-ms")) root.setAttribute("data-first-ms", String(Math.round(performance.now() - tStart)));
      if (i < specs.length) { setTimeout(slice, 0); return; }
      root.setAttribute("data-build-ms", String(Math.round(performance.now() - t0)));
      root.setAttribute("data-charts", String(live.length));
    }
    slice();
  }

  // ---------------------------------------------------------------------------------------
  var main = document.getElementById("report");
  function section(id, title, note) {
    var s = h("section", { id: id }, h("h2", { text: title }));
    if (note) s.appendChild(h("p", { cls: "note", text: note }));
    main.appendChild(s);
    return s;
  }
  function table(cols, rows, align) {
    var t = h("table");
    var tr = h("tr");
    cols.forEach(function (c, i) { tr.appendChild(h("th", { cls: align && align[i] === "l" ? "l" : "", text: c })); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = h("tr");
      r.forEach(function (c, i) {
        var td = h("td", { cls: align && align[i] === "l" ? "l" : "" });
        if (c instanceof Node) td.appendChild(c); else td.textContent = c == null ? "--" : String(c);
        row.appendChild(td);
      });
      t.appendChild(row);
    });
    return t;
  }
  function endpoint(a, p) { return a == null ? "--" : (a.indexOf(":") >= 0 ? "[" + a + "]" : a) + (p != null ? ":" + p : ""); }
  var flowSections = {};
  (D.flows || []).forEach(function (f) { if (f.found) flowSections[f.flow_id] = true; });
  function flowLink(id) {
    if (flowSections[id]) return h("a", { href: "#flow-" + id, text: String(id) });
    return String(id);
  }

  // renderPage builds every section (again after the time-zone toggle: tables print times
  // in the chosen zone too) and registers its charts; buildAll draws them.
  function renderPage() {
  while (main.firstChild) main.removeChild(main.firstChild);
  specs = [];

  // 1. summary
  (function () {
    var S = D.summary;
    var s = section("summary", "Summary");
    var rows = [
      ["captures", S.files.join(", ")],
      ["filter", S.filter || "(none)"],
      ["first packet", fmtTime(secs(S.first))],
      ["last packet", fmtTime(secs(S.last))],
      ["span", dur(S.span_ns)],
      ["packets", S.packets.toLocaleString("en-US") + (S.filter ? " of " + S.capture_packets.toLocaleString("en-US") : "")],
      ["bytes", bytes(S.bytes)],
      ["flows", S.flows.toLocaleString("en-US")],
      ["TCP analysis events", S.events.toLocaleString("en-US")],
      ["drops (ISB if_drop)", S.if_drops == null ? "not recorded by the capture" : S.if_drops.toLocaleString("en-US")],
      ["warnings", S.warnings.length ? S.warnings.join("; ") : "none"],
    ];
    var t = h("table", { cls: "kv" });
    rows.forEach(function (r) { t.appendChild(h("tr", null, h("td", { text: r[0] }), h("td", { text: r[1] }))); });
    s.appendChild(t);
    s.appendChild(h("p", { cls: "note" }, "made by ", h("code", { text: S.command })));
  })();

  // 2. I/O graph
  (function () {
    var T = D.timeline;
    var bsec = T.bucket_ns / 1e9;
    var s = section("io", "I/O graph", "packets/s and bits/s per " + dur(T.bucket_ns) + " bucket (empty buckets as zero); silent intervals of at least " +
      dur(T.gap_min_ns) + " shaded (" + T.gaps.length + "); retransmissions, resets and zero windows per bucket overlaid. Drag to zoom, double-click to reset.");
    if (!T.rows.length) { s.appendChild(h("p", { text: "no packets" })); return; }
    var x = [], pk = [], bits = [];
    T.rows.forEach(function (r) { x.push(secs(r.ts)); pk.push(r.packets / bsec); bits.push(r.bytes * 8 / bsec); });
    var ov = [], names = ["retransmission", "rst", "zero_window"], labels = ["retransmissions", "resets", "zero windows"];
    names.forEach(function (n) { ov.push(T.overlay[n].map(function (c) { return c > 0 ? c : null; })); });
    var gaps = T.gaps.map(function (g) { return [secs(g.start), secs(g.end)]; });
    chart(s, "I/O graph", function (w, box) {
      var o = baseOpts("", w, 300, true);
      o.scales.bits = {}; o.scales.ev = { range: function (u, lo, hi) { return [0, Math.max(1, hi) * 1.1]; } };
      o.series.push(line("packets/s", 0, "y", function (v) { return si(v, "pkt/s"); }));
      o.series.push(line("bits/s", 1, "bits", function (v) { return si(v, "b/s"); }));
      labels.forEach(function (l, i) { o.series.push(dots(l + " /bucket", 3 + i, "ev", function (v) { return String(v); }, 6)); });
      o.axes.push(axisStyle({ scale: "bits", side: 1, size: 70, values: function (u, vs) { return vs.map(function (v) { return si(v, "b/s"); }); } }));
      o.axes[1].values = function (u, vs) { return vs.map(function (v) { return si(v, ""); }); };
      o.hooks = { drawClear: [function (u) {
        var c = u.ctx; c.save(); c.fillStyle = css("--shade");
        gaps.forEach(function (g) {
          var a = u.valToPos(g[0], "x", true), b = u.valToPos(g[1], "x", true);
          c.fillRect(a, u.bbox.top, Math.max(1, b - a), u.bbox.height);
        });
        c.restore();
      }] };
      return new uPlot(o, [x, pk, bits, ov[0], ov[1], ov[2]], box);
    });
    if (gaps.length) {
      var g = T.gaps.slice(0, 20).map(function (g) { return [fmtTime(secs(g.start)), fmtTime(secs(g.end)), dur(g.duration)]; });
      s.appendChild(h("h3", { text: "silent intervals" + (T.gaps.length > 20 ? " (first 20 of " + T.gaps.length + ")" : "") }));
      s.appendChild(table(["from", "to", "length"], g, ["l", "l", "r"]));
    }
  })();

  // 3. activity per minute of each UTC day
  (function () {
    var A = D.activity;
    var s = section("activity", "Activity per minute, by UTC day", "packets per minute; each row is one UTC day (00:00 to 24:00), silent minutes marked grey below the axis." +
      (A.truncated ? " Only the first days are shown." : ""));
    A.days.forEach(function (d, di) {
      var x = [], y = [], silent = [], mx = 1;
      d.packets.forEach(function (v) { mx = Math.max(mx, v); });
      for (var m = 0; m < 1440; m++) { x.push(m / 60); y.push(d.packets[m]); silent.push(d.packets[m] === 0 ? -mx * 0.04 : null); }
      chart(s, "activity " + d.date, function (w, box) {
        var o = baseOpts(d.date + " (UTC)", w, 110, false);
        o.series[0] = { label: "minute", value: function (u, v) { return v == null ? "--" : pad(Math.floor(v)) + ":" + pad(Math.round((v % 1) * 60)); } };
        o.axes[0].values = function (u, vs) { return vs.map(function (v) { return pad(Math.floor(v)) + ":00"; }); };
        o.axes[0].incrs = [1, 2, 3, 6];
        o.scales.x = { time: false, range: [0, 24] };
        o.series.push(line("packets", 0, "y", String, { paths: bars, fill: color(0), width: 0 }));
        o.series.push(line("silent", 7, "y", function (v) { return "silent"; }, { paths: bars, fill: css("--shade"), width: 0 }));
        return new uPlot(o, [x, y, silent], box);
      });
    });
    if (!A.days.length) s.appendChild(h("p", { text: "no packets" }));
  })();

  // 4. frame sizes
  (function () {
    var Z = D.sizes, S = Z.summary[0];
    var s = section("sizes", "Frame sizes", "frame length on the wire; buckets as Wireshark's Packet Lengths statistics; quartiles, p90 and p99 marked (nearest rank).");
    if (!S || !Z.histogram.length) { s.appendChild(h("p", { text: "no packets" })); return; }
    var H = Z.histogram, x = [], cnt = [], cdf = [];
    H.forEach(function (b, i) { x.push(i); cnt.push(b.packets); cdf.push(b.cdf * 100); });
    function pos(v) {
      for (var i = 0; i < H.length; i++) {
        var lo = H[i].lo, hi = H[i].hi == null || H[i].hi === 0 && i === H.length - 1 ? Math.max(lo * 2, v + 1) : H[i].hi;
        if (v >= lo && v <= hi) return i - 0.45 + 0.9 * (v - lo) / Math.max(1, hi - lo + 1);
      }
      return H.length - 1;
    }
    var marks = [["p25", S.p25], ["p50", S.p50], ["p75", S.p75], ["p90", S.p90], ["p99", S.p99]];
    chart(s, "frame sizes", function (w, box) {
      var o = baseOpts("", Math.min(w, 900), 260, false);
      o.scales.x = { time: false, range: [-0.6, H.length - 0.4] };
      o.scales.cdf = { range: [0, 100] };
      o.series[0] = { label: "bucket", value: function (u, v) { var b = H[Math.round(v)]; return b ? b.lo + (b.hi ? "-" + b.hi : "+") + " B" : "--"; } };
      o.axes[0].values = function (u, vs) { return vs.map(function (v) { var b = H[v]; return Number.isInteger(v) && b ? b.lo + (b.hi ? "-" + b.hi : "+") : ""; }); };
      o.axes[0].incrs = [1];
      o.series.push(line("packets", 0, "y", String, { paths: bars, fill: color(0), width: 0 }));
      o.series.push(line("CDF %", 1, "cdf", function (v) { return v.toFixed(1) + " %"; }, { points: { show: true } }));
      o.axes.push(axisStyle({ scale: "cdf", side: 1, values: function (u, vs) { return vs.map(function (v) { return v + "%"; }); } }));
      o.hooks = { draw: [function (u) {
        var c = u.ctx; c.save(); c.strokeStyle = color(3); c.fillStyle = color(3); c.setLineDash([4, 3]); c.font = (11 * devicePixelRatio) + "px sans-serif";
        marks.forEach(function (m, i) {
          var px = u.valToPos(pos(m[1]), "x", true);
          c.beginPath(); c.moveTo(px, u.bbox.top); c.lineTo(px, u.bbox.top + u.bbox.height); c.stroke();
          c.fillText(m[0], px + 3, u.bbox.top + (12 + 12 * i) * devicePixelRatio);
        });
        c.restore();
      }] };
      return new uPlot(o, [x, cnt, cdf], box);
    });
    s.appendChild(table(["packets", "min", "p25", "p50", "p75", "p90", "p99", "max", "mean"],
      [[S.packets, S.min, S.p25, S.p50, S.p75, S.p90, S.p99, S.max, S.mean.toFixed(1)]]));
  })();

  // 5. top talkers
  (function () {
    var s = section("top", "Top talkers", "hosts (either end), responder ports and address pairs, by IP bytes and by packets, both directions.");
    var hosts = D.top[0].rows;
    if (hosts.length) {
      chart(s, "top hosts by bytes", function (w, box) {
        var o = baseOpts("hosts by bytes", Math.min(w, 900), 300, false);
        var x = hosts.map(function (r, i) { return i + 1; });
        o.scales.x = { time: false, range: [0.4, hosts.length + 0.6] };
        o.series[0] = { label: "host", value: function (u, v) { var r = hosts[Math.round(v) - 1]; return r ? r.addr : "--"; } };
        o.axes[0].incrs = [1, 2, 5, 10];
        o.axes[0].space = 12;
        o.axes[0].rotate = -35;
        o.axes[0].size = 100;
        o.axes[0].values = function (u, vs) { return vs.map(function (v) { var r = hosts[v - 1]; return Number.isInteger(v) && r ? r.addr : ""; }); };
        o.axes[1].values = function (u, vs) { return vs.map(bytes); };
        o.series.push(line("bytes", 0, "y", bytes, { paths: bars, fill: color(0), width: 0 }));
        return new uPlot(o, [x, hosts.map(function (r) { return r.bytes; })], box);
      });
    }
    var g = h("div", { cls: "grid" });
    D.top.forEach(function (t) {
      var key, keyCols;
      if (t.by === "port") { keyCols = ["proto", "port"]; key = function (r) { return [r.proto, r.port]; }; }
      else if (t.by === "pair") { keyCols = ["addr_a", "addr_b"]; key = function (r) { return [r.addr_a, r.addr_b]; }; }
      else { keyCols = ["addr"]; key = function (r) { return [r.addr]; }; }
      var rows = t.rows.map(function (r) {
        var b = h("span", { cls: "bar" }); b.style.width = Math.round(r.share * 120) + "px";
        return key(r).concat([r.flows, r.packets, bytes(r.bytes), (r.share * 100).toFixed(1) + "%", b]);
      });
      g.appendChild(h("div", null, h("h3", { text: t.by + "s by " + t.metric }),
        table(keyCols.concat(["flows", "packets", "bytes", "share", ""]), rows, keyCols.map(function () { return "l"; }).concat(["r", "r", "r", "r", "l"]))));
    });
    s.appendChild(g);
  })();

  // 6. connections of one host
  (function () {
    var H = D.host;
    var s = section("host", "Connections of one host", H ? "connections of " + H.addr + ": start time against peer, payload bytes and duration" +
      (H.rows.length >= H.limit ? " (first " + H.limit + ")" : "") : "run with --host ADDR to see the connections of one address.");
    if (!H) return;
    if (!H.rows.length) { s.appendChild(h("p", { text: "no connections" })); return; }
    var rows = H.rows.slice().sort(function (a, b) { return secs(a.ts) - secs(b.ts); });
    var peers = [], pi = {};
    rows.forEach(function (r) { var p = r.orig_h === H.addr ? r.resp_h + ":" + r.resp_p : r.orig_h; if (!(p in pi)) { pi[p] = peers.length; peers.push(p); } r._peer = p; });
    var x = [], last = -Infinity, py = [], by = [], dy = [];
    rows.forEach(function (r) {
      var t = secs(r.ts); if (t <= last) t = last + 1e-6; last = t;
      x.push(t); py.push(pi[r._peer]); by.push(Math.max(1, r.orig_bytes + r.resp_bytes)); dy.push(r.duration / 1e9);
    });
    chart(s, "host peers", function (w, box) {
      var o = baseOpts("peer by start time", w, Math.min(420, 120 + 16 * peers.length), true);
      o.scales.y = { range: [-0.5, peers.length - 0.5] };
      o.axes[1] = axisStyle({ size: 150, space: 16, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], values: function (u, vs) { return vs.map(function (v) { return peers[v] || ""; }); } });
      o.series.push(dots("peer", 0, "y", function (v) { return peers[v]; }, 6));
      return new uPlot(o, [x, py], box);
    });
    chart(s, "host sizes", function (w, box) {
      var o = baseOpts("payload bytes and duration by start time", w, 240, true);
      o.scales.y = { distr: 3 }; o.scales.d = {};
      o.axes[1].values = function (u, vs) { return vs.map(function (v) { return Math.abs(Math.log10(v) % 1) < 1e-9 ? bytes(v) : ""; }); };
      o.axes.push(axisStyle({ scale: "d", side: 1, values: function (u, vs) { return vs.map(function (v) { return v + " s"; }); } }));
      o.series.push(dots("bytes", 0, "y", bytes, 5));
      o.series.push(dots("duration", 1, "d", function (v) { return v.toFixed(3) + " s"; }, 4));
      return new uPlot(o, [x, by, dy], box);
    });
    s.appendChild(h("h3", { text: "connections" + (rows.length > 50 ? " (first 50 of " + rows.length + ")" : "") }));
    s.appendChild(table(["flow", "peer", "start", "duration", "bytes out", "bytes in", "state"], rows.slice(0, 50).map(function (r) {
      var out = r.orig_h === H.addr;
      return [flowLink(r.flow_id), r._peer, fmtTime(secs(r.ts)), dur(r.duration), bytes(out ? r.orig_bytes : r.resp_bytes), bytes(out ? r.resp_bytes : r.orig_bytes), r.conn_state];
    }), ["r", "l", "l", "r", "r", "r", "l"]));
  })();

  // 7. problem flows
  (function () {
    var P = D.problems;
    var s = section("problems", "Problem flows", P.total + " TCP flows with trouble, worst first (score: 1 per retransmission and lost segment, 1/3 per duplicate ACK, 3 per zero window, 5 per reset, 1 per 100 ms of a handshake over 200 ms). A flow id links to its section when it has one (--flow ID).");
    if (P.rows.length) {
      s.appendChild(table(["flow", "client", "server", "start", "duration", "state", "syn rtt", "retrans", "dup acks", "zero win", "lost", "score", "why"],
        P.rows.map(function (r, i) {
          return [flowLink(r.flow_id), endpoint(r.orig_h, r.orig_p), endpoint(r.resp_h, r.resp_p), fmtTime(secs(r.ts)), dur(r.duration), r.conn_state,
            r.syn_rtt == null ? "--" : dur(r.syn_rtt), r.retransmissions, r.dup_acks, r.zero_windows, r.lost_segments, P.scores[i].score, P.scores[i].reasons.join(", ")];
        }), ["r", "l", "l", "l", "r", "l", "r", "r", "r", "r", "r", "r", "l"]));
    } else s.appendChild(h("p", { text: "no TCP flow with retransmissions, resets, zero windows or a slow handshake" }));
    s.appendChild(h("h3", { text: "client resets (" + P.client_rsts_total + ") with the connections open at that instant" }));
    if (P.client_rsts.length) {
      s.appendChild(table(["frame", "time", "flow", "client", "server", "other flows open"], P.client_rsts.map(function (r) {
        return [r.frame, fmtTime(secs(r.ts)), flowLink(r.flow_id), endpoint(r.orig_h, r.orig_p), endpoint(r.resp_h, r.resp_p), r.open_flows];
      }), ["r", "l", "r", "l", "l", "r"]));
    }
  })();

  // 8. per flow
  (function () {
    var s = section("flows", "Per flow", "time-sequence graph (data segments by sequence number, retransmissions marked, the receiver's ACK line and ACK + receive window), throughput, ACK RTT samples, receive window with dips, bytes in flight. x: seconds since the flow's first packet. SACK blocks are not drawn (the index keeps no SACK options).");
    if (!D.flows.length) s.appendChild(h("p", { text: "no flows chosen (none with trouble; pick one with --flow ID)" }));
    D.flows.forEach(function (f) {
      var fs = h("div", { id: "flow-" + f.flow_id });
      s.appendChild(fs);
      if (!f.found) { fs.appendChild(h("h3", { text: "flow " + f.flow_id + ": not in the selection" })); return; }
      fs.appendChild(h("h3", { text: "flow " + f.flow_id + ": " + f.title }));
      fs.appendChild(h("p", { cls: "note", text: "started " + fmtTime(f.start) + ", lasted " + dur(f.duration_ns) + ", " + f.packets + " packets; data sender: " + (f.from_orig ? "originator" : "responder") }));
      var S = f.series;
      function xy(n) { return [S[n].x, S[n].y]; }
      function relFmt(u, v) { return v == null ? "--" : v.toFixed(6) + " s"; }
      function joined(names) {
        var parts = names.map(xy).filter(function (p) { return p[0].length; });
        if (!parts.length) return null;
        return uPlot.join(names.map(xy).map(function (p) { return p[0].length ? p : [[0], [null]]; }));
      }
      var plots = [
        ["time-sequence", ["win", "ack", "seq", "retrans"], ["ACK + window", "ACK", "segment end (seq)", "retransmission"], [1, 2, 0, 3], ["step", "step", "dots", "dots"], function (v) { return si(v, ""); }],
        ["throughput", ["tput"], ["sender bits/s"], [0], ["step"], function (v) { return si(v, "b/s"); }],
        ["RTT", ["rtt"], ["ACK RTT (ms)"], [4], ["dots"], function (v) { return (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2)) + " ms"; }],
        ["receive window", ["rwin", "dips", "ack"], ["receive window", "dip", "ACK"], [2, 3, 0], ["step", "dots", "step2"], bytes],
        ["bytes in flight", ["inflight"], ["bytes in flight"], [1], ["step"], bytes],
      ];
      plots.forEach(function (p) {
        var data = joined(p[1]);
        if (!data) { fs.appendChild(h("p", { cls: "note", text: p[0] + ": no samples" })); return; }
        chart(fs, "flow " + f.flow_id + " " + p[0], function (w, box) {
          var o = baseOpts(p[0], w, p[0] === "time-sequence" ? 320 : 200, false);
          o.series[0] = { label: "t", value: relFmt };
          o.axes[0].values = function (u, vs) { return vs.map(function (v) { return v + " s"; }); };
          o.axes[1].values = function (u, vs) { return vs.map(p[5]); };
          p[1].forEach(function (n, i) {
            var kind = p[4][i], sc = kind === "step2" ? "y2" : "y";
            var s = kind === "dots" ? dots(p[2][i], p[3][i], sc, p[5], n === "retrans" || n === "dips" ? 6 : 3) : line(p[2][i], p[3][i], sc, p[5], { paths: uPlot.paths.stepped({ align: 1 }) });
            o.series.push(s);
          });
          if (p[4].indexOf("step2") >= 0) {
            o.scales.y2 = {};
            o.axes.push(axisStyle({ scale: "y2", side: 1, values: function (u, vs) { return vs.map(function (v) { return si(v, ""); }); } }));
          }
          return new uPlot(o, data, box);
        });
      });
    });
  })();

  // 9. event timeline
  (function () {
    var E = D.events;
    var s = section("events", "Event timeline", E.total + " TCP analysis events" + (E.ts.length < E.total ? " (the first " + E.ts.length + " drawn)" : "") + ": flow id against time, one colour per event type; counts per flow below.");
    if (!E.ts.length) { s.appendChild(h("p", { text: "no events" })); return; }
    var present = [];
    E.type.forEach(function (t) { if (present.indexOf(t) < 0) present.push(t); });
    present.sort(function (a, b) { return a - b; });
    var order = E.ts.map(function (t, i) { return i; }).sort(function (a, b) { return E.ts[a] - E.ts[b] || a - b; });
    var x = [], ys = present.map(function () { return []; }), last = -Infinity;
    order.forEach(function (i) {
      var t = E.ts[i]; if (t <= last) t = last + 1e-7; last = t;
      x.push(t);
      present.forEach(function (ty, k) { ys[k].push(E.type[i] === ty ? E.flow[i] : null); });
    });
    chart(s, "event timeline", function (w, box) {
      var o = baseOpts("", w, 320, true);
      o.axes[1].values = function (u, vs) { return vs.map(function (v) { return Number.isInteger(v) ? "flow " + v : ""; }); };
      present.forEach(function (ty, k) { o.series.push(dots(E.types[ty - 1], k, "y", function (v) { return "flow " + v; }, 5)); });
      return new uPlot(o, [x].concat(ys), box);
    });
    var cols = present.map(function (t) { return E.types[t - 1]; });
    s.appendChild(h("h3", { text: "events per flow (most first)" }));
    s.appendChild(table(["flow"].concat(cols), E.per_flow.map(function (r) {
      return [flowLink(r.flow_id)].concat(cols.map(function (c) { return r.counts[c] || 0; }));
    })));
  })();

  }

  // Toggles and drawing.
  function applyTheme() { root.classList.toggle("dark", state.dark); }
  var tzBtn = document.getElementById("tz"), thBtn = document.getElementById("theme");
  tzBtn.addEventListener("click", function () {
    var y = window.scrollY;
    state.utc = !state.utc;
    tzBtn.textContent = state.utc ? "time: UTC" : "time: local";
    renderPage();
    buildAll();
    window.scrollTo(0, y);
  });
  thBtn.addEventListener("click", function () { state.dark = !state.dark; thBtn.textContent = state.dark ? "theme: dark" : "theme: light"; applyTheme(); buildAll(); });
  applyTheme();
  tzBtn.textContent = "time: UTC";
  thBtn.textContent = state.dark ? "theme: dark" : "theme: light";
  renderPage();
  var resizeTimer = 0, lastWidth = main.clientWidth;
  window.addEventListener("resize", function () {
    if (main.clientWidth === lastWidth) return;
    lastWidth = main.clientWidth;
    clearTimeout(resizeTimer); resizeTimer = setTimeout(buildAll, 150);
  });
  buildAll();
  root.setAttribute("data-total-ms", String(Math.round(performance.now() - tStart)));
})();
