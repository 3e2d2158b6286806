import { type FormEvent, type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` on mount and whenever `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (e: unknown) => live && setState({ error: errorText(e), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload } as Loaded<T>;
}

/** The page's heading, focused when the page opens so screen readers announce it. */
export function PageTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function Status<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.error) return <p role="alert" className="error">{loaded.error}</p>;
  if (loaded.data === undefined) return <p aria-live="polite">Loading…</p>;
  return <>{children(loaded.data)}</>;
}

export function ErrorText({ error }: { error: string | undefined }) {
  return error ? <p role="alert" className="error">{error}</p> : null;
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');

/** With seconds, for audit events. */
export const whenExact = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—');

/** Keyset paging: the cursors of the pages walked so far (the first page has none). */
export interface CursorPages {
  cursor: string | undefined;
  atFirst: boolean;
  reset: () => void;
  back: () => void;
  forward: (next: string) => void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    atFirst: cursors.length < 2,
    reset: () => setCursors([undefined]),
    back: () => setCursors((c) => (c.length < 2 ? c : c.slice(0, -1))),
    forward: (next) => setCursors((c) => [...c, next]),
  };
}

/** Previous / next buttons over a list the API pages with `next_cursor`. */
export function Pager({
  pages,
  next,
  labels = ['Previous page', 'Next page'],
  name = 'Pages',
}: {
  pages: CursorPages;
  next: string | null | undefined;
  labels?: [string, string];
  /** The navigation landmark's name: distinct when a page has two lists. */
  name?: string;
}) {
  return (
    <nav className="pager" aria-label={name}>
      <button type="button" disabled={pages.atFirst} onClick={pages.back}>
        {labels[0]}
      </button>
      <button type="button" disabled={!next} onClick={() => next && pages.forward(next)}>
        {labels[1]}
      </button>
    </nav>
  );
}

/**
 * A list's filter form: the fields being edited (`draft`) apart from the ones the list shows
 * (`applied`), so a list reloads only when the form is submitted, from its first page.
 */
export function useFilters<T>(initial: T, pages: CursorPages) {
  const [draft, setDraft] = useState<T>(initial);
  const [applied, setApplied] = useState<T>(initial);
  return {
    draft,
    applied,
    edit: (patch: Partial<T>) => setDraft((d) => ({ ...d, ...patch })),
    apply: (e: FormEvent) => {
      e.preventDefault();
      setApplied(draft);
      pages.reset();
    },
  };
}

/** A filter's drop-down: "Any" (the empty value) and then each option, shown as `text` gives it. */
export function Choice<V extends string>({
  label,
  value,
  options,
  onChange,
  text = (v) => v,
}: {
  label: string;
  value: V | '';
  options: readonly V[];
  onChange: (v: V | '') => void;
  text?: (v: V) => string;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value as V | '')}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {text(o)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The filter form around its fields, with Apply and Refresh. */
export function FilterForm({ label, onApply, onRefresh, children }: { label: string; onApply: (e: FormEvent) => void; onRefresh: () => void; children: ReactNode }) {
  return (
    <form className="filters" onSubmit={onApply} aria-label={label}>
      {children}
      <button type="submit">Apply filters</button>
      <button type="button" onClick={onRefresh}>
        Refresh
      </button>
    </form>
  );
}
