// TTS-Alex studio page. Plain JavaScript, no dependency; it talks only to the public HTTP API of this server.
"use strict";

// ----- constants -------------------------------------------------------------------------------------------

const LANGUAGE_NAMES = {
  auto: "Automatique", fr: "Français", en: "Anglais", zh: "Chinois", ja: "Japonais", ko: "Coréen",
  de: "Allemand", ru: "Russe", pt: "Portugais", es: "Espagnol", it: "Italien",
};
const FALLBACK_LANGUAGES = Object.keys(LANGUAGE_NAMES).map((code) => ({ code, name: LANGUAGE_NAMES[code] }));
// Used when GET /formats is not there: the server then answers WAV whatever is asked.
const FALLBACK_FORMATS = [
  { name: "wav", media_type: "audio/wav", available: true },
  { name: "mp3", media_type: "audio/mpeg", available: true },
  { name: "flac", media_type: "audio/flac", available: true },
  { name: "opus", media_type: "audio/ogg", available: true },
];
const FORMAT_LABELS = {
  wav: "WAV (sans perte)", mp3: "MP3", flac: "FLAC (sans perte, compressé)", opus: "Opus", ogg: "OGG Vorbis",
  aac: "AAC", pcm: "PCM brut (téléchargement seul)",
};
// Media types a browser cannot play as a file: offered for download only.
const RAW_TYPES = new Set(["audio/pcm", "audio/l16", "application/octet-stream"]);
// Preview sentences, in the voice's own language.
const SAMPLES = {
  fr: "Bonjour, voici un court aperçu de ma voix.",
  en: "Hello, this is a short preview of my voice.",
  zh: "你好，这是我的声音的简短试听。",
  ja: "こんにちは、これは私の声の短いサンプルです。",
  ko: "안녕하세요, 제 목소리를 짧게 들려드릴게요.",
  de: "Hallo, das ist eine kurze Hörprobe meiner Stimme.",
  ru: "Здравствуйте, это короткий образец моего голоса.",
  pt: "Olá, esta é uma breve amostra da minha voz.",
  es: "Hola, esta es una breve muestra de mi voz.",
  it: "Ciao, questo è un breve assaggio della mia voce.",
};
const NATIVE_LANG_CODES = [["chinois", "zh"], ["anglais", "en"], ["japonais", "ja"], ["cor", "ko"], ["fran", "fr"]];
const SOURCE_LABELS = { clone: "Clone", design: "Conçue" };
const MAX_TAKES = 10;
const MAX_RECORD_SECONDS = 60;
const PREFS_KEY = "tts-alex.studio";
const KEY_STORAGE = "tts-alex.api-key";

// ----- small helpers ---------------------------------------------------------------------------------------

const $ = (selector, root = document) => root.querySelector(selector);
const nf1 = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const seconds = (value) => `${nf1.format(value)} s`;

function bytes(n) {
  if (!Number.isFinite(n)) return "";
  if (n < 1024) return `${n} o`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} Ko`;
  return `${nf1.format(n / 1024 / 1024)} Mo`;
}

function dateTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || "";
  return date.toLocaleString("fr-FR", { dateStyle: "short", timeStyle: "short" });
}

function truncate(text, max) {
  const value = (text || "").trim();
  return value.length > max ? `${value.slice(0, max - 1).trimEnd()}…` : value;
}

function languageName(code) {
  return LANGUAGE_NAMES[code] || code || "";
}

/** Build an element: el("p", {class: "x", text: "..."}, child, ...). Text is never parsed as HTML. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function loadPrefs() {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY)) || {};
  } catch {
    return {};
  }
}

function savePrefs() {
  const prefs = {
    text: $("#text").value, voice: $("#voice").value, language: $("#language").value,
    instruct: $("#instruct").value, format: $("#format").value, speed: $("#speed").value,
  };
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Private mode or storage full: preferences are a convenience only.
  }
}

/** A running timer shown as "label 3,2 s" in `target` until stop() is called. */
function busyTimer(target, label) {
  const started = performance.now();
  const tick = () => { target.textContent = `${label} ${seconds((performance.now() - started) / 1000)}`; };
  target.classList.add("active");
  tick();
  const id = setInterval(tick, 100);
  return {
    elapsed: () => (performance.now() - started) / 1000,
    stop(message = "") {
      clearInterval(id);
      target.classList.remove("active");
      target.textContent = message;
    },
  };
}

// ----- API and errors --------------------------------------------------------------------------------------

class ApiError extends Error {
  /** `fields`: [{field, message}] for errors that concern one input. */
  constructor(status, message, fields = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
  }
}

/** FastAPI/pydantic 422 items in plain French. */
function plainValidationMessage(item) {
  const ctx = item.ctx || {};
  const number = (value) => Number(value).toLocaleString("fr-FR");
  switch (item.type) {
    case "missing": return "Champ obligatoire.";
    case "less_than_equal": return `Doit être au plus ${number(ctx.le)}.`;
    case "less_than": return `Doit être inférieur à ${number(ctx.lt)}.`;
    case "greater_than_equal": return `Doit être au moins ${number(ctx.ge)}.`;
    case "greater_than": return `Doit être supérieur à ${number(ctx.gt)}.`;
    case "string_too_long": return `Trop long : ${number(ctx.max_length)} caractères au plus.`;
    case "literal_error": case "enum": return `Valeur non acceptée : ${ctx.expected || item.msg}.`;
    case "float_parsing": case "int_parsing": return "Un nombre est attendu.";
    case "bool_parsing": return "Oui ou non attendu (true / false).";
    default: return item.msg || "Valeur invalide.";
  }
}

async function errorFrom(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const fields = [];
  let message;
  if (data && Array.isArray(data.detail)) {
    // FastAPI 422: [{loc: ["body", "<field>"], msg, type}]
    for (const item of data.detail) {
      const loc = Array.isArray(item.loc) ? item.loc : [];
      const field = loc.length > 1 ? String(loc[loc.length - 1]) : null;
      fields.push({ field, message: plainValidationMessage(item) });
    }
    message = fields.map((f) => (f.field ? `${f.field} : ${f.message}` : f.message)).join("\n");
  } else {
    message = data && typeof data.detail === "string" ? data.detail : `Erreur ${response.status} du serveur.`;
    if (data && data.field) fields.push({ field: data.field, message });
  }
  if (response.status === 503) {
    const retry = response.headers.get("Retry-After");
    message = `Serveur occupé : ${message}${retry ? ` Réessayez dans ${retry} s.` : ""}`;
  }
  return new ApiError(response.status, message, fields);
}

function storedApiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

let keyRequest = null;
/** Ask for the server's API key once, however many requests got 401 meanwhile; "" if cancelled. */
function askApiKey(wrong) {
  if (!keyRequest) {
    keyRequest = new Promise((resolve) => {
      const dialog = $("#key-dialog");
      $("#key-error").hidden = !wrong;
      $("#api-key").value = "";
      dialog.addEventListener("close", () => {
        const key = dialog.returnValue === "ok" ? $("#api-key").value.trim() : "";
        if (key) {
          try {
            localStorage.setItem(KEY_STORAGE, key);
          } catch {
            // Not persisted: it will be asked again on the next 401.
          }
        }
        keyRequest = null;
        resolve(key);
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
    });
  }
  return keyRequest;
}

/** fetch() that throws ApiError for an HTTP error and a clear message when the server is unreachable.
 * Sends the API key when one is known; on 401 asks for it and retries, until the key is right or the user cancels. */
async function api(path, { method = "GET", body, signal } = {}) {
  const key = storedApiKey();
  const headers = key ? { Authorization: `Bearer ${key}` } : {};
  let response;
  try {
    response = await fetch(path, { method, body, signal, headers });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "Serveur injoignable : vérifiez que TTS-Alex tourne (python main.py), puis réessayez.");
  }
  if (response.status === 401 && !(signal && signal.aborted)) {
    if (await askApiKey(Boolean(key))) return api(path, { method, body, signal });
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

function showBanner(message) {
  $("#banner-text").textContent = message;
  $("#banner").hidden = false;
}

function hideBanner() {
  $("#banner").hidden = true;
}

let noticeTimer = null;
function showNotice(message) {
  const notice = $("#notice");
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { notice.hidden = true; }, 4000);
}

function controlFor(form, field) {
  const control = form.elements.namedItem(field);
  if (!control) return null;
  return control instanceof RadioNodeList ? control[0] : control;
}

function clearFieldError(form, field) {
  for (const slot of form.querySelectorAll(`.error[data-error-for="${CSS.escape(field)}"]`)) {
    slot.hidden = true;
    slot.textContent = "";
  }
  const control = controlFor(form, field);
  if (control) control.removeAttribute("aria-invalid");
}

function clearErrors(form) {
  for (const slot of form.querySelectorAll(".error[data-error-for]")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/** Show each field error next to its input (first one focused); anything else in the banner. */
function showErrors(form, error) {
  const unplaced = [];
  let first = null;
  for (const { field, message } of error.fields || []) {
    const slot = field && form.querySelector(`.error[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) {
      unplaced.push(message);
      continue;
    }
    slot.textContent = slot.hidden ? message : `${slot.textContent} ${message}`;
    slot.hidden = false;
    const control = controlFor(form, field);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first = first || control;
    }
  }
  if (!error.fields || !error.fields.length) unplaced.push(error.message);
  if (unplaced.length) showBanner(unplaced.join("\n"));
  if (first) first.focus();
}

// ----- server status ---------------------------------------------------------------------------------------

async function loadHealth() {
  const badge = $("#device-badge");
  try {
    const health = await (await api("/health")).json();
    const device = String(health.device || "?");
    const label = device.startsWith("mps") ? "Apple MPS" : device.toUpperCase();
    badge.textContent = `${label} · ${health.dtype || ""}`;
    badge.title = `Appareil : ${device}, précision ${health.dtype}. Modèles chargés : ${(health.models_loaded || []).join(", ") || "aucun"}.`;
    badge.classList.remove("bad");
    $("#tiny-badge").hidden = health.models_mode !== "tiny";
  } catch (err) {
    badge.textContent = "serveur injoignable";
    badge.classList.add("bad");
    showBanner(err.message);
  }
}

// ----- languages and formats -------------------------------------------------------------------------------

async function loadLanguages(prefs) {
  let languages = FALLBACK_LANGUAGES;
  try {
    const data = await (await api("/languages")).json();
    if (Array.isArray(data.languages) && data.languages.length) languages = data.languages;
  } catch {
    // Keep the built-in list; the banner already says when the server is down.
  }
  for (const select of [$("#language"), $("#clone-language"), $("#design-language")]) {
    select.replaceChildren(
      ...languages.map((lang) => {
        const option = el("option", { value: lang.code, text: languageName(lang.code) || lang.name });
        if (lang.code === "fr") option.defaultSelected = true;
        return option;
      }),
    );
  }
  if (prefs.language && languages.some((lang) => lang.code === prefs.language)) $("#language").value = prefs.language;
}

async function loadFormats(prefs) {
  let formats = FALLBACK_FORMATS;
  try {
    const data = await (await api("/formats")).json();
    if (Array.isArray(data.formats) && data.formats.length) formats = data.formats;
  } catch {
    // No GET /formats on this server: the built-in list.
  }
  state.formats = formats;
  const select = $("#format");
  select.replaceChildren(
    ...formats.map((format) =>
      el("option", {
        value: format.name,
        text: `${FORMAT_LABELS[format.name] || format.name.toUpperCase()}${format.available === false ? " (indisponible)" : ""}`,
        disabled: format.available === false,
      }),
    ),
  );
  const wanted = formats.find((f) => f.name === prefs.format && f.available !== false);
  select.value = wanted ? wanted.name : "wav";
}

// ----- voices: select and library --------------------------------------------------------------------------

const state = {
  voices: [],
  details: new Map(),
  formats: [],
  generation: null, // {controller, timer}
  preview: { audio: new Audio(), name: null, button: null },
  previewCache: new Map(), // voice name -> blob URL
  reference: null, // {blob, filename, url, origin: "file" | "mic", seconds}
  pending: null, // a microphone recording not yet accepted with "Utiliser"
  recording: null, // {recorder, stream, started, timer}
  creating: false,
};

function findVoice(name) {
  const key = (name || "").toLowerCase();
  return state.voices.find((voice) => voice.name.toLowerCase() === key) || null;
}

function selectedVoice() {
  return findVoice($("#voice").value);
}

function voiceOptionText(voice) {
  const description = voice.description
    || (voice.type === "custom" ? `${SOURCE_LABELS[voice.source] || voice.source}, ${voice.model}` : "");
  return description ? `${voice.name} — ${truncate(description, 64)}` : voice.name;
}

function renderVoiceSelect(wanted) {
  const select = $("#voice");
  const current = findVoice(wanted) || findVoice(select.value) || findVoice(state.preferredVoice);
  const customs = state.voices.filter((v) => v.type === "custom");
  const natives = state.voices.filter((v) => v.type !== "custom");
  const group = (label, voices) =>
    el("optgroup", { label }, ...voices.map((v) => el("option", { value: v.name, text: voiceOptionText(v), title: v.description || "" })));
  select.replaceChildren(
    ...(customs.length ? [group("Mes voix", customs)] : []),
    group("Voix natives", natives),
  );
  const fallback = customs[0] || natives[0];
  if (current || fallback) select.value = (current || fallback).name;
  updateVoiceInfo();
}

function updateVoiceInfo() {
  const voice = selectedVoice();
  const info = $("#voice-info");
  const instruct = $("#instruct");
  const hint = $("#instruct-hint");
  if (!voice) {
    info.textContent = "";
    return;
  }
  if (voice.type === "custom") {
    const parts = [SOURCE_LABELS[voice.source] || voice.source, `modèle ${voice.model}`, languageName(voice.language)];
    info.textContent = `${parts.filter(Boolean).join(" · ")}${voice.description ? ` — ${voice.description}` : ""}`;
    instruct.disabled = true;
    hint.textContent = "Les voix personnalisées (clonées ou conçues) ne suivent pas les instructions de style : champ désactivé.";
  } else {
    info.textContent = `${voice.gender} · ${voice.native_lang} — ${voice.description}`;
    instruct.disabled = false;
    hint.textContent = "Décrivez le ton, le rythme ou l'émotion (voix natives uniquement).";
  }
  clearFieldError($("#generate-form"), "instruct");
  for (const card of document.querySelectorAll(".voice[data-voice]")) {
    card.classList.toggle("selected", card.dataset.voice === voice.name);
  }
}

async function loadVoices({ select } = {}) {
  const data = await (await api("/voices")).json();
  state.voices = data.voices || [];
  const customs = state.voices.filter((v) => v.type === "custom");
  const details = await Promise.all(
    customs.map((v) =>
      api(`/voices/custom/${encodeURIComponent(v.name)}`).then((r) => r.json()).catch(() => null),
    ),
  );
  state.details = new Map(customs.map((v, i) => [v.name, details[i]]));
  renderVoiceSelect(select);
  renderLibrary(data);
}

function actionButton(action, label, voice, extra = {}) {
  return el("button", {
    type: "button", class: extra.class || "small", "data-action": action, "data-voice": voice.name,
    "aria-label": `${extra.aria || label} ${voice.name}`, text: label,
  });
}

function renderLibrary(data) {
  stopPreview();
  const customs = state.voices.filter((v) => v.type === "custom");
  const natives = state.voices.filter((v) => v.type !== "custom");
  const customCount = data.custom_count ?? customs.length;
  $("#library-counts").textContent =
    `${data.native_count ?? natives.length} natives · ${customCount} personnalisée${customCount > 1 ? "s" : ""}`;

  $("#custom-empty").hidden = customs.length > 0;
  $("#custom-list").replaceChildren(...customs.map((voice) => {
    const info = state.details.get(voice.name) || {};
    const damaged = info.status === "damaged";
    const meta = el("dl", { class: "voice-meta" });
    const add = (term, value) => { if (value) meta.append(el("div", {}, el("dt", { text: term }), el("dd", { text: value }))); };
    add("Modèle", voice.model);
    add("Langue", languageName(voice.language));
    add("Créée le", dateTime(voice.created_at));
    add("Taille", bytes(info.total_size_bytes ?? info.file_size_bytes));
    const extra = voice.source === "clone" ? info.reference_text && `« ${truncate(info.reference_text, 110)} »`
      : info.voice_description && truncate(info.voice_description, 140);
    return el("li", { class: "voice", "data-voice": voice.name },
      el("div", { class: "voice-main" },
        el("div", {},
          el("span", { class: "voice-name", text: voice.name }),
          el("span", { class: "tag", text: SOURCE_LABELS[voice.source] || voice.source }),
          damaged && el("span", { class: "tag bad", text: "endommagée" })),
        el("p", { class: voice.description ? "voice-desc" : "voice-desc none", text: voice.description || "Sans description" }),
        meta,
        extra && el("p", { class: "voice-extra", text: extra, title: info.reference_text || info.voice_description || "" }),
        damaged && el("p", { class: "voice-problem", text: `Fichiers illisibles (${info.problem}) : supprimez-la puis recréez-la.` })),
      el("div", { class: "voice-actions" },
        actionButton("preview", "Écouter", voice, { aria: "Écouter un aperçu de" }),
        actionButton("use", "Utiliser", voice, { aria: "Utiliser la voix" }),
        actionButton("delete", "Supprimer", voice, { class: "small danger", aria: "Supprimer la voix" })));
  }));

  $("#native-list").replaceChildren(...natives.map((voice) =>
    el("li", { class: "voice", "data-voice": voice.name },
      el("div", { class: "voice-main" },
        el("div", {},
          el("span", { class: "voice-name", text: voice.name }),
          el("span", { class: "tag", text: `${voice.gender} · ${voice.native_lang}` }),
          el("span", { class: "note", text: "voix native : non supprimable" })),
        el("p", { class: "voice-desc", text: voice.description })),
      el("div", { class: "voice-actions" },
        actionButton("preview", "Écouter", voice, { aria: "Écouter un aperçu de" }),
        actionButton("use", "Utiliser", voice, { aria: "Utiliser la voix" })))));
  updateVoiceInfo();
}

async function refreshLibrary(options) {
  try {
    await loadVoices(options);
  } catch (err) {
    showBanner(`Bibliothèque indisponible : ${err.message}`);
  }
}

function previewLanguage(voice) {
  if (voice.type === "custom") return SAMPLES[voice.language] ? voice.language : "fr";
  if (voice.native_lang_code && SAMPLES[voice.native_lang_code]) return voice.native_lang_code;
  const lang = (voice.native_lang || "").toLowerCase();
  const match = NATIVE_LANG_CODES.find(([prefix]) => lang.startsWith(prefix));
  return match ? match[1] : "fr";
}

function resetPreviewButton() {
  const { button } = state.preview;
  if (button) {
    button.textContent = "Écouter";
    button.removeAttribute("aria-pressed");
  }
  state.preview.button = null;
  state.preview.name = null;
}

function stopPreview() {
  state.preview.audio.pause();
  resetPreviewButton();
}

async function preview(name, button) {
  const voice = findVoice(name);
  if (!voice) return;
  const playing = state.preview.name === voice.name && !state.preview.audio.paused;
  stopPreview();
  if (playing) return;
  let url = state.previewCache.get(voice.name);
  if (!url) {
    button.disabled = true;
    button.textContent = "Chargement…";
    try {
      const lang = previewLanguage(voice);
      const body = new FormData();
      body.set("text", SAMPLES[lang]);
      body.set("voice", voice.name);
      body.set("language", lang);
      const response = await api("/preset", { method: "POST", body });
      url = URL.createObjectURL(await response.blob());
      state.previewCache.set(voice.name, url);
    } catch (err) {
      showBanner(`Aperçu de « ${voice.name} » impossible : ${err.message}`);
      return;
    } finally {
      button.disabled = false;
      button.textContent = "Écouter";
    }
  }
  if (!button.isConnected) return; // the library was re-rendered meanwhile
  state.preview.name = voice.name;
  state.preview.button = button;
  button.textContent = "Arrêter";
  button.setAttribute("aria-pressed", "true");
  state.preview.audio.src = url;
  try {
    await state.preview.audio.play();
  } catch (err) {
    resetPreviewButton();
    if (err.name !== "AbortError") showBanner(`Lecture impossible : ${err.message}`);
  }
}

function forgetPreview(name) {
  const url = state.previewCache.get(name);
  if (url) URL.revokeObjectURL(url);
  state.previewCache.delete(name);
}

function useVoice(name) {
  const select = $("#voice");
  select.value = name;
  updateVoiceInfo();
  savePrefs();
  select.focus();
  showNotice(`Voix « ${name} » sélectionnée dans le studio.`);
}

async function deleteVoice(name) {
  const ok = window.confirm(`Supprimer définitivement la voix « ${name} » ?\nSes fichiers seront effacés ; cette action est irréversible.`);
  if (!ok) return;
  hideBanner();
  try {
    await api(`/voices/custom/${encodeURIComponent(name)}`, { method: "DELETE" });
    showNotice(`Voix « ${name} » supprimée.`);
  } catch (err) {
    showBanner(err.message);
  }
  forgetPreview(name);
  await refreshLibrary();
}

function onLibraryClick(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const name = button.dataset.voice;
  if (button.dataset.action === "preview") preview(name, button);
  else if (button.dataset.action === "use") useVoice(name);
  else if (button.dataset.action === "delete") deleteVoice(name);
}

// ----- generation and takes --------------------------------------------------------------------------------

function filenameFrom(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      // fall through
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : fallback;
}

function isPlayable(mediaType) {
  if (!mediaType || RAW_TYPES.has(mediaType)) return false;
  return document.createElement("audio").canPlayType(mediaType) !== "";
}

function addTake(take) {
  const url = URL.createObjectURL(take.blob);
  const mediaType = (take.type || "").split(";")[0].trim().toLowerCase();
  const extension = (take.filename.split(".").pop() || "").toUpperCase();
  const when = new Date().toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const metaParts = [Number.isFinite(take.duration) ? seconds(take.duration) : "", extension, when];
  const player = isPlayable(mediaType)
    ? el("audio", { controls: true, preload: "metadata", src: url, "aria-label": `Prise avec ${take.voice}` })
    : el("p", {
      class: "hint",
      text: mediaType === "audio/pcm"
        ? `PCM brut (16 bits, ${take.sampleRate || "24000"} Hz, mono) : pas de lecture dans le navigateur, téléchargez le fichier.`
        : "Ce navigateur ne sait pas lire ce format : téléchargez le fichier.",
    });
  const item = el("li", { class: "take fresh", "data-url": url },
    el("div", { class: "take-head" },
      el("span", { class: "take-voice", text: take.instruct ? `${take.voice} · avec instruction` : take.voice }),
      el("span", { class: "take-meta", text: metaParts.filter(Boolean).join(" · ") })),
    el("p", { class: "take-text", text: `« ${truncate(take.text, 180)} »`, title: take.instruct ? `Instruction : ${take.instruct}` : "" }),
    el("div", { class: "take-player" },
      player,
      el("a", { class: "download", href: url, download: take.filename, text: "Télécharger", "aria-label": `Télécharger ${take.filename}` })),
    take.outputPath && el("p", { class: "take-path", text: `Copie sur le serveur : ${take.outputPath}` }));
  const list = $("#takes");
  for (const old of list.querySelectorAll(".take.fresh")) old.classList.remove("fresh");
  list.prepend(item);
  while (list.children.length > MAX_TAKES) {
    const last = list.lastElementChild;
    URL.revokeObjectURL(last.dataset.url);
    last.remove();
  }
  $("#takes-empty").hidden = true;
}

async function generate(event) {
  if (event) event.preventDefault();
  if (state.generation) return;
  const form = $("#generate-form");
  clearErrors(form);
  hideBanner();
  const text = $("#text").value.trim();
  const voice = selectedVoice();
  const local = [];
  if (!text) local.push({ field: "text", message: "Écrivez le texte à dire." });
  if (!voice) local.push({ field: "voice", message: "Choisissez une voix." });
  if (local.length) {
    showErrors(form, { fields: local });
    return;
  }
  const instruct = voice.type === "native" ? $("#instruct").value.trim() : "";
  const format = $("#format").value || "wav";
  const body = new FormData();
  body.set("text", text);
  body.set("voice", voice.name);
  body.set("language", $("#language").value || "auto");
  if (instruct) body.set("instruct", instruct);
  body.set("format", format);
  body.set("speed", $("#speed").value);

  const controller = new AbortController();
  const button = $("#generate");
  const cancel = $("#cancel");
  const timer = busyTimer($("#generate-status"), "Génération…");
  state.generation = { controller, timer };
  button.disabled = true;
  cancel.hidden = false;
  form.setAttribute("aria-busy", "true");
  try {
    const response = await api(instruct ? "/preset/instruct" : "/preset", { method: "POST", body, signal: controller.signal });
    const blob = await response.blob();
    addTake({
      blob,
      type: response.headers.get("Content-Type") || blob.type,
      duration: parseFloat(response.headers.get("X-Audio-Duration")),
      sampleRate: response.headers.get("X-Sample-Rate"),
      outputPath: response.headers.get("X-Output-Path"),
      filename: filenameFrom(response, `${voice.name}.${format}`),
      voice: voice.name,
      text,
      instruct,
    });
    timer.stop(`Prête en ${seconds(timer.elapsed())}.`);
  } catch (err) {
    if (err.name === "AbortError") {
      timer.stop("Annulée. Le serveur termine tout de même cette génération avant la suivante.");
    } else {
      timer.stop("");
      showErrors(form, err);
    }
  } finally {
    state.generation = null;
    button.disabled = false;
    cancel.hidden = true;
    form.removeAttribute("aria-busy");
  }
}

function cancelGeneration() {
  if (state.generation) state.generation.controller.abort();
  $("#generate").focus();
}

// ----- reference recording: file or microphone -------------------------------------------------------------

/** 16-bit PCM mono WAV from an AudioBuffer (channels averaged). */
function encodeWav(buffer) {
  const { sampleRate, length, numberOfChannels } = buffer;
  const mono = new Float32Array(length);
  for (let c = 0; c < numberOfChannels; c++) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < length; i++) mono[i] += data[i] / numberOfChannels;
  }
  const view = new DataView(new ArrayBuffer(44 + length * 2));
  const text = (offset, value) => { for (let i = 0; i < value.length; i++) view.setUint8(offset + i, value.charCodeAt(i)); };
  text(0, "RIFF");
  view.setUint32(4, 36 + length * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, length * 2, true);
  for (let i = 0; i < length; i++) {
    const s = Math.max(-1, Math.min(1, mono[i]));
    view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([view], { type: "audio/wav" });
}

async function toWav(blob) {
  const Context = window.AudioContext || window.webkitAudioContext;
  const context = new Context();
  try {
    const buffer = await context.decodeAudioData(await blob.arrayBuffer());
    return { blob: encodeWav(buffer), seconds: buffer.duration };
  } finally {
    context.close().catch(() => {});
  }
}

function showReference(url, label, { ok = false, canUse = false } = {}) {
  const audio = $("#ref-audio");
  audio.src = url;
  $("#ref-label").textContent = label;
  $("#ref-label").classList.toggle("ok", ok);
  $("#ref-use").hidden = !canUse;
  $("#ref-preview").hidden = false;
}

function clearReference({ keepFile = false } = {}) {
  for (const item of [state.reference, state.pending]) if (item && item.url) URL.revokeObjectURL(item.url);
  state.reference = null;
  state.pending = null;
  if (!keepFile) $("#reference-file").value = "";
  $("#ref-audio").removeAttribute("src");
  $("#ref-preview").hidden = true;
}

function onReferenceFile() {
  const file = $("#reference-file").files[0];
  clearReference({ keepFile: true });
  clearFieldError($("#clone-form"), "reference_audio");
  if (!file) return;
  const url = URL.createObjectURL(file);
  state.reference = { blob: file, filename: file.name, url, origin: "file" };
  showReference(url, `Fichier : ${file.name} · ${bytes(file.size)}`, { ok: true });
  const audio = $("#ref-audio");
  audio.addEventListener("loadedmetadata", () => {
    if (state.reference && state.reference.url === url && Number.isFinite(audio.duration)) {
      $("#ref-label").textContent = `Fichier : ${file.name} · ${bytes(file.size)} · ${seconds(audio.duration)}`;
    }
  }, { once: true });
}

function formatClock(totalSeconds) {
  const s = Math.floor(totalSeconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

async function startRecording() {
  const form = $("#clone-form");
  clearFieldError(form, "reference_audio");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
    showErrors(form, { fields: [{ field: "reference_audio", message: "Ce navigateur ne permet pas d'enregistrer : importez un fichier." }] });
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false } });
  } catch {
    showErrors(form, { fields: [{ field: "reference_audio", message: "Micro inaccessible (autorisation refusée ou aucun micro) : importez un fichier." }] });
    return;
  }
  // The server reads WAV/FLAC/OGG/MP3 but not WebM: whatever the browser records is converted to WAV on stop.
  const mimeType = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm"].find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const chunks = [];
  recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
  recorder.addEventListener("stop", () => finishRecording(new Blob(chunks, { type: recorder.mimeType || mimeType || "" })));
  const started = performance.now();
  const stopButton = $("#rec-stop");
  const tick = () => {
    const elapsed = (performance.now() - started) / 1000;
    $("#rec-time").textContent = `${formatClock(elapsed)} / ${formatClock(MAX_RECORD_SECONDS)}`;
    if (elapsed >= MAX_RECORD_SECONDS) stopRecording();
  };
  state.recording = { recorder, stream, timer: setInterval(tick, 250) };
  recorder.start(250);
  tick();
  $("#rec-start").hidden = true;
  stopButton.hidden = false;
  stopButton.focus();
}

function stopRecording() {
  const recording = state.recording;
  if (!recording) return;
  state.recording = null;
  clearInterval(recording.timer);
  if (recording.recorder.state !== "inactive") recording.recorder.stop();
  for (const track of recording.stream.getTracks()) track.stop();
  $("#rec-stop").hidden = true;
  $("#rec-start").hidden = false;
}

async function finishRecording(blob) {
  const form = $("#clone-form");
  try {
    const wav = await toWav(blob);
    clearReference();
    const url = URL.createObjectURL(wav.blob);
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "");
    state.pending = { blob: wav.blob, filename: `micro-${stamp}.wav`, url, origin: "mic", seconds: wav.seconds };
    showReference(url, `Enregistrement du micro · ${seconds(wav.seconds)} : écoutez-le, puis utilisez-le ou recommencez.`, { canUse: true });
    $("#ref-use").focus();
  } catch (err) {
    showErrors(form, { fields: [{ field: "reference_audio", message: `Enregistrement illisible (${err.message}) : recommencez ou importez un fichier.` }] });
  }
}

function useRecording() {
  if (!state.pending) return;
  state.reference = state.pending;
  state.pending = null;
  $("#reference-file").value = "";
  $("#ref-label").textContent = `✓ Enregistrement du micro utilisé · ${seconds(state.reference.seconds)}`;
  $("#ref-label").classList.add("ok");
  $("#ref-use").hidden = true;
  clearFieldError($("#clone-form"), "reference_audio");
  $("#clone-reference-text").focus();
}

// ----- creating voices -------------------------------------------------------------------------------------

async function createVoice(form, body, statusSelector, submitSelector) {
  const submit = $(submitSelector);
  const timer = busyTimer($(statusSelector), "Création…");
  state.creating = true;
  submit.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const data = await (await api("/voices/custom", { method: "POST", body })).json();
    const name = data.voice ? data.voice.name : body.get("name");
    timer.stop(`Voix « ${name} » créée en ${seconds(timer.elapsed())}.`);
    form.reset();
    for (const id of ["clone-description-count", "design-description-count"]) $(`#${id}`).textContent = "0 / 200";
    if (form.id === "clone-form") clearReference();
    await refreshLibrary({ select: name });
    savePrefs();
    const card = document.querySelector(`#custom-list .voice[data-voice="${CSS.escape(name)}"]`);
    if (card) {
      card.classList.add("flash");
      card.scrollIntoView({ block: "nearest" });
      setTimeout(() => card.classList.remove("flash"), 2500);
    }
    showNotice(`Voix « ${name} » créée et sélectionnée dans le studio.`);
  } catch (err) {
    timer.stop("");
    showErrors(form, err);
  } finally {
    state.creating = false;
    submit.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

function submitClone(event) {
  event.preventDefault();
  if (state.creating) return;
  const form = $("#clone-form");
  clearErrors(form);
  hideBanner();
  const name = form.elements.namedItem("name").value.trim();
  const referenceText = form.elements.namedItem("reference_text").value.trim();
  const local = [];
  if (!name) local.push({ field: "name", message: "Donnez un nom à la voix." });
  if (!state.reference) {
    local.push({
      field: "reference_audio",
      message: state.pending
        ? "Écoutez l'enregistrement puis cliquez sur « Utiliser cet enregistrement »."
        : "Importez un fichier audio ou enregistrez-vous au micro.",
    });
  }
  if (!referenceText) local.push({ field: "reference_text", message: "Saisissez la transcription exacte de l'enregistrement." });
  if (local.length) {
    showErrors(form, { fields: local });
    return;
  }
  const body = new FormData();
  body.set("name", name);
  body.set("source", "clone");
  body.set("description", form.elements.namedItem("description").value.trim());
  body.set("reference_audio", state.reference.blob, state.reference.filename);
  body.set("reference_text", referenceText);
  body.set("language", form.elements.namedItem("language").value || "auto");
  body.set("model", form.elements.namedItem("model").value || "1.7B");
  createVoice(form, body, "#clone-status", "#clone-submit");
}

function submitDesign(event) {
  event.preventDefault();
  if (state.creating) return;
  const form = $("#design-form");
  clearErrors(form);
  hideBanner();
  const name = form.elements.namedItem("name").value.trim();
  const voiceDescription = form.elements.namedItem("voice_description").value.trim();
  const local = [];
  if (!name) local.push({ field: "name", message: "Donnez un nom à la voix." });
  if (!voiceDescription) local.push({ field: "voice_description", message: "Décrivez la voix à créer." });
  if (local.length) {
    showErrors(form, { fields: local });
    return;
  }
  const body = new FormData();
  body.set("name", name);
  body.set("source", "design");
  body.set("description", form.elements.namedItem("description").value.trim());
  body.set("voice_description", voiceDescription);
  body.set("language", form.elements.namedItem("language").value || "fr");
  createVoice(form, body, "#design-status", "#design-submit");
}

function selectTab(tab, focus = false) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(`#${other.getAttribute("aria-controls")}`).hidden = !selected;
  }
  if (focus) tab.focus();
}

function onTabKey(event) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const index = tabs.indexOf(event.target);
  if (index < 0) return;
  let next = null;
  if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
  else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
  else if (event.key === "Home") next = tabs[0];
  else if (event.key === "End") next = tabs[tabs.length - 1];
  if (next) {
    event.preventDefault();
    selectTab(next, true);
  }
}

// ----- wiring ----------------------------------------------------------------------------------------------

function updateTextCount() {
  const n = $("#text").value.length;
  $("#text-count").textContent = `${n.toLocaleString("fr-FR")} caractère${n > 1 ? "s" : ""}`;
}

function updateSpeed() {
  $("#speed-value").textContent = `${nf2.format(Number($("#speed").value))} ×`;
}

function bindCounter(input, counter) {
  const update = () => { $(counter).textContent = `${$(input).value.length} / 200`; };
  $(input).addEventListener("input", update);
}

function onKeydown(event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    const form = event.target.closest && event.target.closest("form");
    if (form && (form.id === "clone-form" || form.id === "design-form")) form.requestSubmit();
    else $("#generate-form").requestSubmit();
  } else if (event.key === "Escape" && state.generation) {
    cancelGeneration();
  }
}

function bind() {
  $("#generate-form").addEventListener("submit", generate);
  $("#cancel").addEventListener("click", cancelGeneration);
  $("#banner-close").addEventListener("click", hideBanner);
  $("#voice").addEventListener("change", () => { updateVoiceInfo(); savePrefs(); });
  $("#text").addEventListener("input", () => { updateTextCount(); savePrefs(); });
  $("#speed").addEventListener("input", () => { updateSpeed(); savePrefs(); });
  $("#speed").addEventListener("dblclick", () => { $("#speed").value = "1"; updateSpeed(); savePrefs(); });
  for (const id of ["#language", "#format", "#instruct"]) $(id).addEventListener("change", savePrefs);
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("input", (e) => { if (e.target.name) clearFieldError(form, e.target.name); });
  }
  $("#custom-list").addEventListener("click", onLibraryClick);
  $("#native-list").addEventListener("click", onLibraryClick);
  $("#library-refresh").addEventListener("click", () => refreshLibrary());
  state.preview.audio.addEventListener("ended", resetPreviewButton);
  $("#clone-form").addEventListener("submit", submitClone);
  $("#design-form").addEventListener("submit", submitDesign);
  $("#reference-file").addEventListener("change", onReferenceFile);
  $("#rec-start").addEventListener("click", startRecording);
  $("#rec-stop").addEventListener("click", stopRecording);
  $("#ref-use").addEventListener("click", useRecording);
  $("#ref-clear").addEventListener("click", () => { clearReference(); $("#reference-file").focus(); });
  bindCounter("#clone-description", "#clone-description-count");
  bindCounter("#design-description", "#design-description-count");
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", onTabKey);
  }
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !state.creating) refreshLibrary();
  });
}

async function init() {
  const prefs = loadPrefs();
  if (/Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)) $("#mod-key").textContent = "⌘";
  $("#text").value = prefs.text || "";
  $("#instruct").value = prefs.instruct || "";
  if (prefs.speed) $("#speed").value = prefs.speed;
  state.preferredVoice = prefs.voice;
  updateTextCount();
  updateSpeed();
  bind();
  await Promise.all([loadHealth(), loadLanguages(prefs), loadFormats(prefs), refreshLibrary()]);
  document.body.dataset.ready = "true";
}

init();
