/**
 * Kubernetes manifests for a sharded run, no operator needed: the scenario as a ConfigMap, the coordinator as a
 * Pod + Service, and the shards as an Indexed Job (each pod's JOB_COMPLETION_INDEX is its shard). Built with
 * kubernetes-models' typed classes and checked with their `.validate()` (OpenAPI schema of the API server), so a
 * wrong type or enum fails here rather than at `kubectl apply`. Written as one `v1 List` in JSON (valid YAML).
 */
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';

export interface ManifestInput {
  readonly runId: string;
  /** File name of the scenario, and its source text (mounted at /scenario/<name>). */
  readonly scenarioName: string;
  readonly scenarioSource: string;
  readonly shards: number;
  readonly image: string;
  readonly clickhouseUrl?: string;
  /** Per shard, from the fleet plan: cores (worker processes) and open files. */
  readonly cpuPerShard: number;
  readonly openFilesPerShard: number;
}

const COORDINATOR_PORT = 7070;

export function buildManifests(input: ManifestInput): Array<ConfigMap | Pod | Service | Job> {
  const name = `bench-${input.runId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 50);
  const labels = { 'app.kubernetes.io/name': 'centrifugo-bench', 'centrifugo-bench/run-id': name };
  const scenarioPath = `/scenario/${input.scenarioName}`;
  const scenarioVolume = { name: 'scenario', configMap: { name: `${name}-scenario` } };
  const scenarioMount = { name: 'scenario', mountPath: '/scenario', readOnly: true };
  const clickhouse = input.clickhouseUrl ? ['--out', `clickhouse=${input.clickhouseUrl}`] : [];

  const scenario = new ConfigMap({
    metadata: { name: `${name}-scenario`, labels },
    data: { [input.scenarioName]: input.scenarioSource },
  });
  const coordinatorLabels = { ...labels, 'centrifugo-bench/role': 'coordinator' };
  const coordinator = new Pod({
    metadata: { name: `${name}-coordinator`, labels: coordinatorLabels },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'coordinator',
          image: input.image,
          args: ['coordinate', scenarioPath, '--shards', String(input.shards), '--run-id', input.runId],
          ports: [{ containerPort: COORDINATOR_PORT, name: 'coordinator' }],
          volumeMounts: [scenarioMount],
          resources: { requests: { cpu: '250m', memory: '128Mi' } },
        },
      ],
      volumes: [scenarioVolume],
    },
  });
  const service = new Service({
    metadata: { name: `${name}-coordinator`, labels },
    spec: { selector: coordinatorLabels, ports: [{ port: COORDINATOR_PORT, targetPort: COORDINATOR_PORT }] },
  });
  const shards = new Job({
    metadata: { name: `${name}-shards`, labels },
    spec: {
      completionMode: 'Indexed',
      completions: input.shards,
      parallelism: input.shards,
      backoffLimit: 0,
      template: {
        metadata: { labels: { ...labels, 'centrifugo-bench/role': 'shard' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'shard',
              image: input.image,
              // JOB_COMPLETION_INDEX (set by Kubernetes) is the shard index; --shards is the count.
              args: [
                'run',
                scenarioPath,
                '--shards',
                String(input.shards),
                '--run-id',
                input.runId,
                '--coordinator',
                `http://${name}-coordinator:${COORDINATOR_PORT}`,
                ...clickhouse,
              ],
              env: [{ name: 'CENTRIFUGO_BENCH_OPEN_FILES', value: String(input.openFilesPerShard) }],
              volumeMounts: [scenarioMount],
              resources: {
                requests: { cpu: String(input.cpuPerShard), memory: `${256 * input.cpuPerShard}Mi` },
                limits: { cpu: String(input.cpuPerShard) },
              },
            },
          ],
          volumes: [scenarioVolume],
        },
      },
    },
  });
  const manifests = [scenario, coordinator, service, shards];
  for (const manifest of manifests) manifest.validate();
  return manifests;
}

/** One `kubectl apply -f` document. */
export function manifestsToJson(manifests: ReadonlyArray<{ toJSON(): unknown }>): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests.map((item) => item.toJSON()) }, null, 2)}\n`;
}
