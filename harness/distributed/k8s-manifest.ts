/**
 * Kubernetes manifests for a sharded run, no operator needed: the scenario as a ConfigMap, the coordinator as a
 * Pod + Service, and the shards as an Indexed Job (each pod's JOB_COMPLETION_INDEX is its shard). Pods share no
 * disk: each shard sends its folder to the coordinator when it finishes, the coordinator keeps them in its results
 * volume (an emptyDir, or a PersistentVolumeClaim that outlives the pod), merges (`--merge`: its log ends with the
 * verdict, its exit code is the merged run's) and stays up `lingerS` seconds for `kubectl cp`. Built with
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
  /** A PersistentVolumeClaim for the coordinator's results (default: an emptyDir, gone with the pod). */
  readonly resultsPvc?: string;
  /** Seconds the coordinator stays up after merging, so `kubectl cp` can copy the merged folder. */
  readonly lingerS?: number;
  /** Seconds for every shard pod to be scheduled, pull the image, register and connect. */
  readonly registrationTimeoutS?: number;
}

const COORDINATOR_PORT = 7070;
/** The image's working directory (deploy/Containerfile). */
const IMAGE_WORKDIR = '/opt/centrifugo-bench';
/** Results in every pod: a volume the image's user can write (CENTRIFUGO_BENCH_RESULTS). */
export const RESULTS_MOUNT = '/results';
export const DEFAULT_LINGER_S = 1800;

export function buildManifests(input: ManifestInput): Array<ConfigMap | Pod | Service | Job> {
  const name = `bench-${input.runId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 50);
  const labels = { 'app.kubernetes.io/name': 'centrifugo-bench', 'centrifugo-bench/run-id': name };
  // The scenario file goes beside the image's own scenarios, so its `./lib/…` imports resolve as they do here.
  const scenarioPath = `${IMAGE_WORKDIR}/scenarios/${input.scenarioName}`;
  const scenarioVolume = { name: 'scenario', configMap: { name: `${name}-scenario` } };
  const scenarioMount = { name: 'scenario', mountPath: scenarioPath, subPath: input.scenarioName, readOnly: true };
  const resultsMount = { name: 'results', mountPath: RESULTS_MOUNT };
  const resultsEnv = { name: 'CENTRIFUGO_BENCH_RESULTS', value: RESULTS_MOUNT };
  const coordinatorResults = input.resultsPvc
    ? { name: 'results', persistentVolumeClaim: { claimName: input.resultsPvc } }
    : { name: 'results', emptyDir: {} };
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
      // The image runs as `node` (uid/gid 1000): a claim's volume is then writable for it.
      securityContext: { fsGroup: 1000 },
      containers: [
        {
          name: 'coordinator',
          image: input.image,
          // 0.0.0.0: inside the pod the Service is the way in (the default, 127.0.0.1, is for one machine).
          args: [
            'coordinate',
            scenarioPath,
            '--shards',
            String(input.shards),
            '--run-id',
            input.runId,
            '--host',
            '0.0.0.0',
            '--port',
            String(COORDINATOR_PORT),
            '--registration-timeout',
            String(input.registrationTimeoutS ?? 600),
            '--merge',
            // The merged run's row beside the shards' rows.
            ...clickhouse,
            '--linger',
            String(input.lingerS ?? DEFAULT_LINGER_S),
          ],
          ports: [{ containerPort: COORDINATOR_PORT, name: 'coordinator' }],
          env: [resultsEnv],
          volumeMounts: [scenarioMount, resultsMount],
          resources: { requests: { cpu: '250m', memory: '256Mi' } },
        },
      ],
      volumes: [scenarioVolume, coordinatorResults],
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
              env: [{ name: 'CENTRIFUGO_BENCH_OPEN_FILES', value: String(input.openFilesPerShard) }, resultsEnv],
              volumeMounts: [scenarioMount, resultsMount],
              resources: {
                requests: { cpu: String(input.cpuPerShard), memory: `${256 * input.cpuPerShard}Mi` },
                limits: { cpu: String(input.cpuPerShard) },
              },
            },
          ],
          // The shard's own folder, sent to the coordinator at the end: scratch space only.
          volumes: [scenarioVolume, { name: 'results', emptyDir: {} }],
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
