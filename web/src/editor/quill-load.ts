// Loads Quill (and its snow theme CSS, as a file: the CSP allows no inline styles) on first use,
// so the other pages of the app do not carry the editor. Once loaded it is kept, which lets a
// remounted editor be created synchronously.
import type QuillType from 'quill';

export type QuillClass = typeof QuillType;

let loaded: QuillClass | null = null;
let loading: Promise<QuillClass> | null = null;

export function quillIfLoaded(): QuillClass | null {
  return loaded;
}

export function loadQuill(): Promise<QuillClass> {
  if (loaded) return Promise.resolve(loaded);
  if (!loading)
    loading = import('./quill-module').then((m) => {
      loaded = m.default;
      return loaded;
    });
  return loading;
}
