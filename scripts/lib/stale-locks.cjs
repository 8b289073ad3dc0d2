#!/usr/bin/env node
// Remove the locks of a file:// Pulumi backend that a killed `pulumi` left behind: a lock made on
// this host by a process that no longer runs. Without this, every later `up`, `refresh` or
// `destroy` of the stack fails with "the stack is currently locked" until someone runs
// `pulumi cancel` by hand. Locks of live processes and of other hosts are left alone.
// Usage: stale-locks.cjs <backend directory>   (prints one line per removed lock)
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

function* lockFiles(dir) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* lockFiles(p);
    else if (e.name.endsWith(".json")) yield p;
  }
}

/** The stale locks under `backendDir`, removed; returns what was removed. */
function clearStaleLocks(backendDir, host = os.hostname()) {
  const removed = [];
  for (const file of lockFiles(path.join(backendDir, ".pulumi", "locks"))) {
    let lock;
    try {
      lock = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      continue; // not a lock we understand: not ours to judge
    }
    if (lock.hostname !== host || !Number.isInteger(lock.pid) || alive(lock.pid)) continue;
    fs.rmSync(file, { force: true });
    removed.push({ file, pid: lock.pid, since: lock.timestamp });
  }
  return removed;
}

module.exports = { clearStaleLocks };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: stale-locks.cjs <backend directory>\n");
    process.exit(2);
  }
  for (const r of clearStaleLocks(dir))
    process.stdout.write(
      `removed the stale lock of pulumi process ${r.pid} (started ${r.since}), which no longer runs\n`,
    );
}
