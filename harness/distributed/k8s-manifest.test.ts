import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Pod } from 'kubernetes-models/v1/Pod';
import { buildManifests, manifestsToJson } from './k8s-manifest.ts';

const input = {
  runId: 'RUN_1',
  scenarioName: 'fanout.ts',
  scenarioSource: 'export default {}',
  shards: 4,
  image: 'centrifugo-bench:dev',
  clickhouseUrl: 'http://clickhouse:8123',
  cpuPerShard: 2,
  openFilesPerShard: 40_000,
};

describe('k8s manifests', () => {
  it('an Indexed Job with parallelism = completions = shards, a coordinator, the scenario', () => {
    const document = JSON.parse(manifestsToJson(buildManifests(input)));
    const kinds = document.items.map((item: { kind: string }) => item.kind);
    assert.deepEqual(kinds, ['ConfigMap', 'Pod', 'Service', 'Job']);
    const job = document.items[3];
    assert.equal(job.spec.completionMode, 'Indexed');
    assert.equal(job.spec.completions, 4);
    assert.equal(job.spec.parallelism, 4);
    const args = job.spec.template.spec.containers[0].args;
    assert.ok(args.includes('clickhouse=http://clickhouse:8123'));
    assert.equal(job.spec.template.spec.containers[0].resources.requests.cpu, '2');
  });

  it('the coordinator merges into its own results volume and stays up for kubectl cp; shards send it theirs', () => {
    const [, coordinator, service, job] = JSON.parse(manifestsToJson(buildManifests(input))).items;
    const container = coordinator.spec.containers[0];
    assert.ok(container.args.includes('--merge'));
    // The merged run's row goes to the ClickHouse the shards write to.
    assert.equal(container.args[container.args.indexOf('--out') + 1], 'clickhouse=http://clickhouse:8123');
    assert.equal(container.args[container.args.indexOf('--linger') + 1], '1800');
    assert.equal(container.args[container.args.indexOf('--host') + 1], '0.0.0.0');
    const resultsVolume = coordinator.spec.volumes.find((volume: { name: string }) => volume.name === 'results');
    assert.deepEqual(resultsVolume, { name: 'results', emptyDir: {} });

    const shard = job.spec.template.spec.containers[0];
    const url = `http://${service.metadata.name}:${service.spec.ports[0].port}`;
    assert.equal(shard.args[shard.args.indexOf('--coordinator') + 1], url);
    assert.equal(shard.args[shard.args.indexOf('--run-id') + 1], 'RUN_1');
    assert.equal(shard.args[shard.args.indexOf('--shards') + 1], '4');
    assert.ok(!shard.args.includes('--shard'), 'the index is JOB_COMPLETION_INDEX, set by Kubernetes');
    assert.ok(!shard.env.some((entry: { name: string }) => entry.name === 'JOB_COMPLETION_INDEX'));
    for (const pod of [coordinator.spec, job.spec.template.spec]) {
      const main = pod.containers[0];
      assert.ok(
        main.env.some((entry: { name: string; value: string }) => entry.name === 'CENTRIFUGO_BENCH_RESULTS'),
        'results go to the mounted volume (the image user cannot write its workdir)',
      );
      // The scenario sits beside the image's scenarios, so `./lib/…` imports resolve; every pod runs that file.
      const scenarioMount = main.volumeMounts.find((mount: { name: string }) => mount.name === 'scenario');
      assert.equal(scenarioMount.mountPath, '/opt/centrifugo-bench/scenarios/fanout.ts');
      assert.equal(scenarioMount.subPath, 'fanout.ts');
      assert.ok(main.args.includes(scenarioMount.mountPath));
    }
  });

  it('--results-pvc: the coordinator keeps its results on the claim', () => {
    const [, coordinator] = buildManifests({ ...input, resultsPvc: 'bench-results', lingerS: 0 });
    const json = JSON.parse(JSON.stringify((coordinator as Pod).toJSON()));
    assert.deepEqual(
      json.spec.volumes.find((volume: { name: string }) => volume.name === 'results'),
      { name: 'results', persistentVolumeClaim: { claimName: 'bench-results' } },
    );
    // The same Pod with a wrong type where the claim goes fails the API schema.
    json.spec.volumes[1].persistentVolumeClaim.claimName = 42;
    assert.throws(() => new Pod(json).validate());
  });

  it('validation rejects a wrong type or enum', () => {
    // The same shape with valid values passes, so the failures below are the wrong value's.
    new Job({ spec: { completionMode: 'Indexed', completions: 4, template: {} } }).validate();
    const wrongEnum = new Job({ spec: { completionMode: 'Sharded', template: {} } } as never);
    assert.throws(() => wrongEnum.validate());
    const wrongType = new Job({ spec: { completions: 'four', template: {} } } as never);
    assert.throws(() => wrongType.validate());
  });
});
