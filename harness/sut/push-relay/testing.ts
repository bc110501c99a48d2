/** What tests and benches may use of the relay beyond its surface: the fan-out page queries, to EXPLAIN them. */
export { devicesByIdQuery, filterPageQuery, topicCandidatesQuery } from './device-store.ts';
