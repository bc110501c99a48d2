import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1/Job';
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

  it('validation rejects a wrong type or enum', () => {
    // The same shape with valid values passes, so the failures below are the wrong value's.
    new Job({ spec: { completionMode: 'Indexed', completions: 4, template: {} } }).validate();
    const wrongEnum = new Job({ spec: { completionMode: 'Sharded', template: {} } } as never);
    assert.throws(() => wrongEnum.validate());
    const wrongType = new Job({ spec: { completions: 'four', template: {} } } as never);
    assert.throws(() => wrongType.validate());
  });
});
