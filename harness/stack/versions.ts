/**
 * Pinned versions of the external programs the harness drives. One file, so a bump is one line and a
 * test reads the same constant. Debian-packaged services are whatever the distribution ships; their
 * versions are recorded per run in run.json instead.
 */
export const CENTRIFUGO_VERSION = '6.9.1';
export const CENTRIFUGO_MODULE = 'github.com/centrifugal/centrifugo/v6';
/** Centrifugo v6.9.x needs Go ≥ 1.26 (its go.mod `go` line). */
export const CENTRIFUGO_MIN_GO = '1.26';

/** Container images for the `containers` provider and docker-compose.yml (kept in step with the above). */
export const IMAGES = {
  centrifugo: `centrifugo/centrifugo:v${CENTRIFUGO_VERSION}`,
  postgres: 'postgres:15-alpine',
  redis: 'redis:7-alpine',
  nats: 'nats:2.10-alpine',
  clickhouse: 'clickhouse/clickhouse-server:24.8-alpine',
  grafana: 'grafana/grafana:11.6.0',
} as const;
