/// <reference lib="dom" />
/**
 * The console's "Files" section of a run: the files the run made (`outputs`),
 * raster images drawn inline, each file a download, and the whole set as a
 * tar. Bytes come through fetch() with the bearer token (an <img src> cannot
 * send it) and are shown as data: URLs, which the console's CSP allows for
 * images. Names from the API are only ever set as textContent.
 */
const TOKEN_KEY = 'paddock.token';
/** Shown inline; larger images and other types are download links only. */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const INLINE_MAX_BYTES = 5 * 1024 * 1024;

interface RunFile {
  path: string;
  size: number;
  contentType: string;
}

async function fetchBytes(path: string): Promise<Blob> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` } });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return res.blob();
}

function dataUrl(blob: Blob, type: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(new Blob([blob], { type }));
  });
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function saveBlob(blob: Blob, name: string): void {
  const a = el('a', { download: name });
  a.href = URL.createObjectURL(blob);
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function fileRow(base: string, f: RunFile): HTMLElement {
  const url = `${base}/files/${f.path.split('/').map(encodeURIComponent).join('/')}`;
  const row = el('div', { class: 'run-file', 'data-path': f.path });
  const button = el('button', { class: 'download-file' }, `${f.path} (${f.size} bytes)`);
  button.onclick = () => void fetchBytes(url).then((b) => saveBlob(b, f.path.split('/').at(-1) ?? 'file'));
  row.append(button);
  if (INLINE.has(f.contentType) && f.size <= INLINE_MAX_BYTES) {
    const img = el('img', { alt: f.path, class: 'run-file-image' });
    row.append(img);
    void fetchBytes(url)
      .then((b) => dataUrl(b, f.contentType))
      .then((src) => (img.src = src))
      .catch((err: Error) => row.append(el('p', { class: 'error' }, err.message)));
  }
  return row;
}

/** The section for run `id`, or null when it made no files. */
export function runFilesSection(id: string, files: RunFile[] | undefined, dropped?: number): HTMLElement | null {
  if (!files || files.length === 0) return null;
  const base = `/v1/runs/${encodeURIComponent(id)}`;
  const section = el('section', { id: 'run-files' });
  section.append(el('h2', {}, 'Files'));
  if (dropped) section.append(el('p', { class: 'muted' }, `${dropped} more matched but were over the caps`));
  for (const f of files) section.append(fileRow(base, f));
  const all = el('button', { id: 'download-files-tar' }, 'Download all (tar)');
  all.onclick = () => void fetchBytes(`${base}/artifacts.tar`).then((b) => saveBlob(b, `${id}-files.tar`));
  section.append(all);
  return section;
}
