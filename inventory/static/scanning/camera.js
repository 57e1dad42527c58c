/* "Scan with camera" on every scan-input page (templates/scanning/_camera.html next to a code
   box). The phone's rear camera shows in the page; the barcodes it sees are decoded continuously
   (EAN-13, EAN-8, UPC-A, UPC-E, Code 128, QR) and each is handed to the page as a scan:
   a cancelable `stockroom:scan` event on the code box (detail: {code}); a page script that
   handles it calls preventDefault(). Otherwise the code is typed into the box and its form
   submitted, exactly as a keyboard-wedge scanner's Enter would.
   Decoding: the browser's BarcodeDetector where it reads all six formats (Chrome on Android),
   else ZXing, vendored under static/vendor/ and loaded only then (iOS Safari, desktop Chromium,
   Firefox). Both answer through one function: a frame in, {text, points} or null out.
   A file, not an inline script: the Content-Security-Policy runs scripts from our origin only;
   neither decoder needs eval. */
(function () {
  "use strict";
  if (window.stockroomCamera) return; // the partial may be on a page twice
  window.stockroomCamera = true;

  var FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "qr_code"];
  var ZXING_FORMATS = ["EAN_13", "EAN_8", "UPC_A", "UPC_E", "CODE_128", "QR_CODE"];
  // A few decodes a second: enough to catch a barcode as it is shown, without heating a phone.
  var DECODE_EVERY_MS = 200;
  // Frames are decoded at most this wide: 1D barcodes need the detail, more only costs time.
  var DECODE_WIDTH = 640;
  // Cooldown, the rule that makes "held in view" count once: a code counts when it is read and
  // has not been read during the last GONE_MS. Every read of it, counted or not, restarts its
  // clock, so a barcode held in front of the camera keeps its clock fresh and counts once; once
  // it has been out of view (or unreadable) for GONE_MS it counts again when it comes back.
  // Decodes miss some frames of a code that is still there (blur, glare), so GONE_MS spans
  // several missed decodes; it is short enough that showing the same item again feels immediate.
  var GONE_MS = 1600;
  var OUTLINE_MS = 700;

  var MESSAGES = {
    insecure: "The camera works only on a secure (https://) address, or at localhost on this " +
      "device. Type the code or use a scanner meanwhile, and ask whoever runs Stockroom for its " +
      "https:// address.",
    unsupported: "This browser cannot use a camera. Type the code or use a scanner.",
    denied: "The camera is blocked for this site. To allow it: tap the lock or camera icon next " +
      "to the address, allow Camera, then press “Scan with camera” again. (On an iPhone: " +
      "Settings › Safari › Camera › Allow.)",
    missing: "No camera was found on this device. Type the code or use a scanner.",
    busy: "The camera could not start: another app may be using it. Close that app, then press " +
      "“Scan with camera” again.",
    ended: "The camera stopped. Press “Scan with camera” to start it again.",
    failed: "The camera could not start. Press “Scan with camera” to try again, or type the code.",
    decoder: "The barcode reader could not be loaded (no connection?). Type the code or use a " +
      "scanner, and try the camera again later.",
  };

  // --- decoding: one function per decoder, frame (a canvas) in, {text, points} or null out ---
  var decoderPromise = null;

  function nativeDecoder() {
    if (!("BarcodeDetector" in window) || !window.BarcodeDetector.getSupportedFormats) {
      return Promise.resolve(null);
    }
    return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
      var all = FORMATS.every(function (format) { return supported.indexOf(format) !== -1; });
      if (!all) return null;
      var detector = new window.BarcodeDetector({ formats: FORMATS });
      return function (canvas) {
        return detector.detect(canvas).then(function (found) {
          if (!found.length || !found[0].rawValue) return null;
          return { text: found[0].rawValue, points: found[0].cornerPoints || [] };
        });
      };
    }).catch(function () { return null; });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      if (window.ZXing) { resolve(); return; }
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () { resolve(); };
      script.onerror = function () { script.remove(); reject(new Error("decoder")); };
      document.head.appendChild(script);
    });
  }

  // ZXing's points are not corners. A 1D barcode gives its two ends on the line that was read:
  // widen them into a band about a barcode's height. A QR code gives the centres of its three
  // finder squares (bottom-left, top-left, top-right): add the fourth corner, and reach out
  // past the centres to the code's edges.
  function corners(points) {
    if (points.length === 2) {
      var a = points[0], b = points[1];
      var nx = -(b.y - a.y) * 0.15, ny = (b.x - a.x) * 0.15;
      return [
        { x: a.x + nx, y: a.y + ny }, { x: b.x + nx, y: b.y + ny },
        { x: b.x - nx, y: b.y - ny }, { x: a.x - nx, y: a.y - ny },
      ];
    }
    if (points.length < 3) return points;
    var bottomLeft = points[0], topLeft = points[1], topRight = points[2];
    var quad = [topLeft, topRight, {
      x: topRight.x + bottomLeft.x - topLeft.x, y: topRight.y + bottomLeft.y - topLeft.y,
    }, bottomLeft];
    var cx = (topRight.x + bottomLeft.x) / 2, cy = (topRight.y + bottomLeft.y) / 2;
    return quad.map(function (p) { return { x: cx + (p.x - cx) * 1.3, y: cy + (p.y - cy) * 1.3 }; });
  }

  function greyBitmap(ZXing, canvas) {
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    var grey = new Uint8ClampedArray(canvas.width * canvas.height);
    for (var i = 0, j = 0; i < grey.length; i++, j += 4) {
      grey[i] = (pixels[j] * 306 + pixels[j + 1] * 601 + pixels[j + 2] * 117) >> 10;
    }
    var source = new ZXing.RGBLuminanceSource(grey, canvas.width, canvas.height);
    return new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
  }

  function zxingDecoder(src) {
    return loadScript(src).then(function () {
      var ZXing = window.ZXing;
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, ZXING_FORMATS.map(function (name) {
        return ZXing.BarcodeFormat[name];
      }));
      // No TRY_HARDER: it reads every row of every frame, several times the work on the main
      // thread, where the phone also draws the page. The next frame, a little moved, is the retry.
      // Each reader on its own, not ZXing's MultiFormatReader: that one logs a warning to the
      // console for every frame in which no 1D barcode is found.
      var readers = [new ZXing.MultiFormatOneDReader(hints), new ZXing.QRCodeReader()];
      return function (canvas) {
        var bitmap = greyBitmap(ZXing, canvas);
        var result = null;
        readers.forEach(function (reader) {
          if (result) return;
          try { result = reader.decode(bitmap, hints); } catch (e) { /* not in this frame */ }
          reader.reset();
        });
        if (!result) return Promise.resolve(null);
        var points = (result.getResultPoints() || []).filter(Boolean).map(function (point) {
          return { x: point.getX(), y: point.getY() };
        });
        return Promise.resolve({ text: result.getText(), points: corners(points) });
      };
    });
  }

  function decoder(src) {
    if (!decoderPromise) {
      decoderPromise = nativeDecoder().then(function (native) { return native || zxingDecoder(src); });
      decoderPromise.catch(function () { decoderPromise = null; }); // try again on the next press
    }
    return decoderPromise;
  }

  // --- handing a code to the page, as a scan -----------------------------------------------
  function deliver(input, code) {
    var event = new CustomEvent("stockroom:scan", {
      bubbles: true, cancelable: true, detail: { code: code, source: "camera" },
    });
    if (!input.dispatchEvent(event)) return;
    var form = input.form;
    var focused = document.activeElement === input;
    var scrolled = window.scrollY;
    input.value = code;
    if (!form) return;
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      var button = form.querySelector("button[type=submit], input[type=submit]");
      if (button) button.click(); else form.submit();
    }
    // The page may put the cursor back in the box for the next typed scan: on a phone that
    // would open the keyboard over the camera, and scroll the camera away to show the box.
    if (!focused && document.activeElement === input) {
      input.blur();
      window.scrollTo(window.scrollX, scrolled);
    }
  }

  // --- one camera widget --------------------------------------------------------------------
  function problemFor(error) {
    var name = error && error.name;
    if (error && error.message === "decoder") return MESSAGES.decoder;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return MESSAGES.denied;
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return MESSAGES.missing;
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return MESSAGES.busy;
    }
    return MESSAGES.failed;
  }

  function unavailable() {
    if (!window.isSecureContext) return MESSAGES.insecure;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return MESSAGES.unsupported;
    if (!window.Promise || !window.Map || !window.CustomEvent) return MESSAGES.unsupported;
    return null;
  }

  var widgets = [];

  function Widget(box) {
    var self = this;
    this.box = box;
    this.input = document.getElementById(box.dataset.cameraFor);
    this.src = box.dataset.decoderSrc;
    this.startButton = box.querySelector("[data-camera-start]");
    this.problem = box.querySelector("[data-camera-problem]");
    this.panel = box.querySelector("[data-camera-panel]");
    this.video = box.querySelector("[data-camera-video]");
    this.outline = box.querySelector("[data-camera-outline]");
    this.status = box.querySelector("[data-camera-status]");
    this.last = box.querySelector("[data-camera-last]");
    this.canvas = document.createElement("canvas");
    this.stream = null;
    this.run = 0; // bumped by every start and stop: a late answer of an old run is dropped
    this.timer = null;
    this.seen = {}; // code -> when it was last read (the cooldown's clocks)
    this.startButton.addEventListener("click", function () {
      if (!self.stream && !self.starting) self.start();
    });
    box.querySelector("[data-camera-stop]").addEventListener("click", function () {
      self.stop();
      self.startButton.focus();
    });
    box.hidden = false;
  }

  Widget.prototype.say = function (message) {
    this.problem.textContent = message || "";
    this.problem.hidden = !message;
  };

  Widget.prototype.start = function () {
    var self = this;
    var why = unavailable();
    if (why) { this.say(why); return; }
    this.say("");
    widgets.forEach(function (other) { if (other !== self) other.stop(); });
    var run = ++this.run;
    this.starting = true;
    this.seen = {};
    this.panel.hidden = false;
    this.last.hidden = true;
    this.status.textContent = "Starting the camera…";
    this.startButton.setAttribute("aria-expanded", "true");
    var camera = navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    Promise.all([camera, decoder(this.src)]).then(function (answers) {
      if (run !== self.run) { stopTracks(answers[0]); return null; }
      self.starting = false;
      self.stream = answers[0];
      self.decode = answers[1];
      self.stream.getVideoTracks().forEach(function (track) {
        track.addEventListener("ended", function () { self.lost(run); });
      });
      self.video.srcObject = self.stream;
      return self.video.play().then(function () {
        if (run !== self.run) return;
        self.status.textContent = "Hold a barcode across the middle of the picture.";
        self.reveal();
        self.tick(run);
      });
    }).catch(function (error) {
      camera.then(stopTracks, function () {});
      if (run !== self.run) return;
      self.stop();
      self.say(problemFor(error));
    });
  };

  // The camera went away under us (unplugged, taken by another app, or the phone's system).
  Widget.prototype.lost = function (run) {
    if (run !== this.run) return;
    this.stop();
    this.say(MESSAGES.ended);
  };

  function stopTracks(stream) {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
  }

  Widget.prototype.stop = function () {
    this.run++;
    this.starting = false;
    clearTimeout(this.timer);
    stopTracks(this.stream);
    this.stream = null;
    this.video.srcObject = null;
    this.panel.hidden = true;
    this.startButton.setAttribute("aria-expanded", "false");
  };

  // On a phone the picture opens below the fold: bring it, and the page's answer under it, up.
  Widget.prototype.reveal = function () {
    var box = this.panel.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      this.box.scrollIntoView({ block: "start" });
    }
  };

  // One decode at a time: the next is scheduled only once this one has answered.
  Widget.prototype.tick = function (run) {
    var self = this;
    var began = Date.now();
    var frame = this.grab();
    var decoding;
    try {
      decoding = frame ? this.decode(frame) : Promise.resolve(null);
    } catch (e) {
      decoding = Promise.resolve(null); // a frame the decoder choked on: the next one is coming
    }
    decoding.catch(function () { return null; }).then(function (found) {
      if (run !== self.run) return;
      if (found && found.text) self.read(found, frame);
      var wait = Math.max(DECODE_EVERY_MS - (Date.now() - began), 30);
      self.timer = setTimeout(function () { self.tick(run); }, wait);
    });
  };

  Widget.prototype.grab = function () {
    var video = this.video;
    if (!video.videoWidth || video.readyState < 2) return null;
    var scale = Math.min(1, DECODE_WIDTH / video.videoWidth);
    var width = Math.round(video.videoWidth * scale), height = Math.round(video.videoHeight * scale);
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    var context = this.canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, this.canvas.width, this.canvas.height);
    return this.canvas;
  };

  Widget.prototype.read = function (found, frame) {
    var now = Date.now();
    var code = found.text.trim();
    Object.keys(this.seen).forEach(function (seen) {
      if (now - this.seen[seen] >= GONE_MS) delete this.seen[seen];
    }, this);
    var fresh = !Object.prototype.hasOwnProperty.call(this.seen, code);
    this.seen[code] = now;
    this.draw(found.points, frame, fresh);
    this.last.hidden = false;
    this.last.querySelector("[data-camera-code]").textContent = code;
    this.last.querySelector("[data-camera-note]").textContent = fresh
      ? ""
      : "— still in view: scanned once. Take it away and back to scan it again.";
    if (fresh && code) deliver(this.input, code);
  };

  // The outline is drawn in the frame's pixels; the SVG's viewBox is that frame, laid over the
  // video with the same fit, so it lands on the barcode at any size of the page.
  Widget.prototype.draw = function (points, frame, fresh) {
    var outline = this.outline;
    var polygon = outline.querySelector("polygon");
    outline.setAttribute("viewBox", "0 0 " + frame.width + " " + frame.height);
    polygon.setAttribute("points", points.map(function (point) {
      return Math.round(point.x) + "," + Math.round(point.y);
    }).join(" "));
    outline.classList.toggle("cam-held", !fresh);
    outline.classList.add("cam-seen");
    clearTimeout(this.outlineTimer);
    this.outlineTimer = setTimeout(function () { outline.classList.remove("cam-seen"); }, OUTLINE_MS);
  };

  function stopAll() { widgets.forEach(function (widget) { widget.stop(); }); }

  function init() {
    document.querySelectorAll("[data-camera-for]").forEach(function (box) {
      if (!document.getElementById(box.dataset.cameraFor)) return;
      widgets.push(new Widget(box));
    });
    // A camera left on in a hidden tab or a page being left keeps the light on and the battery
    // draining: stop it; the clerk presses the button again on coming back.
    document.addEventListener("visibilitychange", function () { if (document.hidden) stopAll(); });
    window.addEventListener("pagehide", stopAll);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
