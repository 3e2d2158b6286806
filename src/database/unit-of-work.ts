import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

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
  private readonly als = new AsyncLocalStorage<EntityManager>();

  constructor(private readonly dataSource: DataSource) {}

  manager(): EntityManager {
    return this.als.getStore() ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.als.getStore() !== undefined;
  }

  /** Runs `fn` in a transaction, or inside the current one when already in a transaction. */
  async run<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    const current = this.als.getStore();
    if (current) return fn(current);
    return this.dataSource.transaction((tx) => this.als.run(tx, () => fn(tx)));
  }
}
