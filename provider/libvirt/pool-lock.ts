// One storage pool at a time per provider process: libvirt refuses some pool operations (refresh,
// volume create/delete) while another job runs in the same pool ("has asynchronous jobs running").
// The engine runs independent resources in parallel, so operations on one pool queue here;
// different pools (and everything else) still run side by side. Other processes (another stack)
// are covered by the retry in Virsh.

const tails = new Map<string, Promise<unknown>>();

/** Run `fn` after every earlier call for the same (uri, pool) has settled. */
export function withPoolLock<T>(uri: string, pool: string, fn: () => Promise<T>): Promise<T> {
  const key = JSON.stringify([uri, pool]);
  const prev = tails.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return run;
}
