import assert from 'node:assert/strict';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { describe, it } from 'node:test';
import { installLeanAsyncResourceBind } from './h2-sessions.ts';

describe('installLeanAsyncResourceBind', () => {
  it("binds as Node's own does: the resource's async scope, the caller's this and arguments, the same length", () => {
    const installed = installLeanAsyncResourceBind();
    const storage = new AsyncLocalStorage<string>();
    const bound = storage.run('at bind time', () =>
      new AsyncResource('test').bind(function (this: unknown, a: number, b: number) {
        return { scope: storage.getStore(), self: this, sum: a + b };
      }),
    );
    const self = { name: 'caller' };
    const result = storage.run('at call time', () => bound.call(self, 2, 3));
    assert.deepEqual(result, { scope: 'at bind time', self, sum: 5 });
    assert.equal(bound.length, 2);
    // Node 20 has the deprecated accessor this replaces; where it does not, nothing is installed.
    if (installed) assert.equal(Object.hasOwn(bound, 'asyncResource'), false);

    // bind(fn, thisArg): Node's signature, not in @types/node's.
    const withThis: () => unknown = Reflect.apply(AsyncResource.prototype.bind, new AsyncResource('test'), [
      function (this: unknown) {
        return this;
      },
      self,
    ]);
    assert.equal(withThis.call({ other: true }), self);
  });
});
