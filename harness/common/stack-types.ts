/**
 * What a running stack looks like to everything downstream of `stack/` (engine, seed, sut, results):
 * plain data and a small fault-control surface. The engine receives these values; it never imports
 * `stack/`, so a stack can be local processes, containers, or someone's staging deployment.
 */

export interface CentrifugoNodeEndpoint {
  name: string;
  /** http://127.0.0.1:PORT — API, /metrics and /health live here. */
  httpUrl: string;
  /** ws://127.0.0.1:PORT/connection/websocket */
  wsUrl: string;
  apiUrl: string;
}

export interface StackEndpoints {
  centrifugo: { engine: 'memory' | 'redis' | 'nats'; nodes: CentrifugoNodeEndpoint[] };
  postgres?: { url: string };
  redis?: { url: string };
  nats?: { url: string };
  clickhouse?: { url: string };
  /** The cdc modes' chain: the Kafka broker (`127.0.0.1:PORT`) and, when it runs, Kafka Connect's REST URL. */
  kafka?: { bootstrap: string; connectUrl?: string };
  /** Services of the reference system under test, when the stack runs them. */
  chatApp?: { url: string };
  pushRelay?: { url: string };
  /**
   * The mock FCM / Web Push sink (harness/sut/push-sink/README.md): one TLS port under `url`; trust `caFile`;
   * sign OAuth assertions with the service account in `credentialsFile`; `controlUrl` mints tokens and
   * subscriptions and answers stats; `receiptsDir` holds the NDJSON receipts.
   */
  pushSink?: {
    fcmUrl: string;
    webPushUrl: string;
    caFile: string;
    url?: string;
    tokenUrl?: string;
    controlUrl?: string;
    credentialsFile?: string;
    receiptsDir?: string;
  };
}

/** Generated per run. Never printed, never in a report; written only to a file readable by the user. */
export interface StackSecrets {
  centrifugoHmacSecret: string;
  centrifugoApiKey: string;
  postgresPassword?: string;
  redisPassword?: string;
}

/** Faults a scenario can inject; each provider implements what it can, and says so when it cannot. */
export interface StackFaults {
  killCentrifugoNode(index: number): Promise<void>;
  startCentrifugoNode(index: number): Promise<void>;
  pauseService(service: 'redis' | 'postgres' | 'nats'): Promise<void>;
  resumeService(service: 'redis' | 'postgres' | 'nats'): Promise<void>;
  /**
   * Stops a service and starts it again (`kill`: SIGKILL, a crash; otherwise a graceful stop); resolves when it
   * is ready again. Only the cdc modes' Kafka Connect for now; optional: a provider without it says so.
   */
  restartService?(service: 'kafka-connect', options?: { kill?: boolean }): Promise<void>;
}

export interface StackInfo {
  runId: string;
  provider: 'local' | 'external' | 'containers';
  endpoints: StackEndpoints;
  /** Component versions, for run.json: { centrifugo: '6.9.1', postgres: '15.18', … }. */
  versions: Record<string, string>;
}
