import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

interface TxState {
  manager: EntityManager;
  /** Work registered to run inside the transaction just before it commits, once per key. */
  beforeCommit: Map<symbol, () => Promise<void>>;
  /** Items queued for a before-commit hook; a rolled-back savepoint takes its own items back. */
  queues: Map<symbol, unknown[]>;
  /** Undo work for writes outside PostgreSQL (Vault), run newest first if the work rolls back. */
  undo: (() => Promise<void>)[];
  /** Work that must see the committed state (reloading a cache), run once the transaction has committed. */
  afterCommit: (() => Promise<void>)[];
}

/**
 * The ambient transaction of a request or task. `run` opens one transaction and every
 * `manager()` call inside it (however deep) joins it, so a handler's changes and its audit row
 * commit or roll back together. Outside `run`, `manager()` is the pool (autocommit).
 *
 * Code inside `run` must use `manager()` for every query: with the embedded database a second
 * connection would wait for this transaction to end.
 */
@Injectable()
export class UnitOfWork {
  private readonly als = new AsyncLocalStorage<TxState>();

  constructor(private readonly dataSource: DataSource) {}

  manager(): EntityManager {
    return this.als.getStore()?.manager ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.als.getStore() !== undefined;
  }

  /**
   * Runs `fn` outside any current transaction's context: a timer or promise chain started there
   * would otherwise carry the transaction into callbacks that run after it ended.
   */
  detached<T>(fn: () => T): T {
    return this.als.exit(fn);
  }

  /** Runs `fn` in a transaction, or inside the current one when already in a transaction. */
  async run<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    const current = this.als.getStore();
    if (current) return fn(current.manager);
    const afterCommit: (() => Promise<void>)[] = [];
    const result = await this.dataSource.transaction(async (manager) => {
      const state: TxState = { manager, beforeCommit: new Map(), queues: new Map(), undo: [], afterCommit };
      try {
        const result = await this.als.run(state, () => fn(manager));
        for (const hook of state.beforeCommit.values()) await hook();
        return result;
      } catch (e) {
        // Still inside the transaction: row locks are held while the undo runs.
        await runUndo(state.undo, 0);
        throw e;
      }
    });
    for (const step of afterCommit) await step().catch(() => undefined);
    return result;
  }

  /**
   * Runs `fn` in a savepoint of the current transaction: if it throws, its changes and the items
   * it queued are undone and the transaction goes on.
   */
  async savepoint<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    const state = this.als.getStore();
    if (!state) return this.run(fn);
    const marks = new Map([...state.queues].map(([k, q]) => [k, q.length]));
    const undoMark = state.undo.length;
    const afterMark = state.afterCommit.length;
    try {
      return await state.manager.transaction(async () => {
        try {
          return await fn(state.manager);
        } catch (e) {
          await runUndo(state.undo, undoMark);
          throw e;
        }
      });
    } catch (e) {
      for (const [k, q] of state.queues) q.length = marks.get(k) ?? 0;
      state.afterCommit.length = afterMark;
      throw e;
    }
  }

  /**
   * Registers undo work for a write made outside PostgreSQL in the current transaction: it runs
   * (inside the transaction, before the rollback) if the transaction or the enclosing savepoint
   * fails, and is dropped on commit. `undo` must not throw. Returns false outside a transaction.
   */
  onRollback(undo: () => Promise<void>): boolean {
    const state = this.als.getStore();
    if (!state) return false;
    state.undo.push(undo);
    return true;
  }

  /**
   * Registers work to run once the current transaction has committed (outside it; dropped on
   * rollback, its errors ignored): a cache that must see the committed rows reloads there.
   * Returns false outside a transaction (the caller runs it at once).
   */
  afterCommit(step: () => Promise<void>): boolean {
    const state = this.als.getStore();
    if (!state) return false;
    state.afterCommit.push(step);
    return true;
  }

  /**
   * Queues `item` for a hook that runs just before the current transaction commits (within it).
   * Returns false outside a transaction.
   */
  enqueueBeforeCommit<T>(key: symbol, item: T, flush: (tx: EntityManager, items: T[]) => Promise<void>): boolean {
    const state = this.als.getStore();
    if (!state) return false;
    let queue = state.queues.get(key) as T[] | undefined;
    if (!queue) {
      queue = [];
      state.queues.set(key, queue);
      const q = queue;
      state.beforeCommit.set(key, async () => {
        if (q.length > 0) await flush(state.manager, q.splice(0));
      });
    }
    queue.push(item);
    return true;
  }
}

/** Runs and removes the undo entries from `from` on, newest first. */
async function runUndo(undo: (() => Promise<void>)[], from: number): Promise<void> {
  const pending = undo.splice(from);
  for (const step of pending.reverse()) await step().catch(() => undefined);
}
