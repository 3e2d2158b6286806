import { PageQuery } from '../../common/page-query.js';

/** GET /api/v1/alerts: newest first, keyset-paginated. */
export class ListAlertsQuery extends PageQuery {}
