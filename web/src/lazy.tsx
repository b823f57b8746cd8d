// Views loaded on demand (issue 21 item 6): the first page carries only the frame (header, router,
// i18n, the API client) and its own view; every other view, and Chart.js and Quill with the views
// that use them, is a chunk of its own fetched when its route is first shown. While a chunk loads
// the page keeps its header and shows a status line (role=status, so a screen reader hears it);
// a chunk that cannot be fetched (the app was updated and its old files are gone, or the network
// failed) says so and offers a reload.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { messages } from './i18n';

const M = messages(
  {
    loading: 'Loading…',
    failed: 'This page could not be loaded. The app may have been updated, or the network is down.',
    reload: 'Reload',
  },
  {
    loading: 'Загрузка…',
    failed: 'Не удалось загрузить страницу. Возможно, приложение обновилось или нет сети.',
    reload: 'Перезагрузить',
  },
);

export type LazyView<P> = ComponentType<P> & { preload: () => Promise<unknown> };

/** A component that renders the view `load` resolves to, loading it on first use (or earlier, by
 *  preload()). Once loaded, the view renders synchronously on every later visit. */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>): LazyView<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const preload = () =>
    (pending ??= load().then(
      (c) => (loaded = c),
      (e: unknown) => {
        pending = null; // a later visit tries again
        throw e;
      },
    ));
  function Lazy(props: P) {
    const [, setReady] = useState(false);
    const [failed, setFailed] = useState(false);
    // Fetching starts as the route is first rendered, not after the paint that effects wait for.
    if (!loaded && !failed) preload().catch(() => undefined);
    const shownPending = !loaded;
    useEffect(() => {
      // The chunk may have arrived between this render (which showed "Loading…") and this effect,
      // which runs after the paint: render again, or the page would stay "Loading…" for good (a
      // fresh-clone run under load stopped so in the editor).
      if (loaded) {
        if (shownPending) setReady(true);
        return undefined;
      }
      let live = true;
      preload().then(
        () => live && setReady(true),
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, []);
    if (loaded) {
      const View = loaded;
      return <View {...props} />;
    }
    return <Pending failed={failed} />;
  }
  Lazy.preload = preload;
  return Lazy;
}

function Pending({ failed }: { failed: boolean }) {
  const m = M();
  if (failed)
    return (
      <main class="page" id="main">
        <div class="card" role="alert">
          <p>{m.failed}</p>
          <button type="button" class="btn" onClick={() => location.reload()}>
            {m.reload}
          </button>
        </div>
      </main>
    );
  return (
    <main class="page" id="main" aria-busy="true">
      <p class="muted" role="status">
        {m.loading}
      </p>
    </main>
  );
}
