// aws-local-stepfunctions 3.0.0 targets Node >= 22 and calls Promise.withResolvers in every Task; Node 20 lacks it,
// and the resulting TypeError surfaces as a state error that a Catch on States.ALL would silently swallow.
const promise = Promise as unknown as { withResolvers?: unknown };

if (typeof promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const settled = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise: settled, resolve, reject };
    },
  });
}
