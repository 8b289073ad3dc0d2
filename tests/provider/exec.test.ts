// The runner every tool goes through: a streamed stderr (a long build's log) is passed on line by
// line and only its tail is kept; a timeout is an error, not an exit code.
import { execaRunner, streamedStderrLines } from "../../provider/exec";

describe("execaRunner", () => {
  test("a streamed stderr reaches the callback whole and is kept only as its tail", async () => {
    let seen = 0;
    let last = "";
    const r = await execaRunner("sh", ["-c", "seq 1 300000 1>&2; echo done"], {
      onStderrLine: (line) => {
        seen++;
        last = line;
      },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("done\n");
    expect(seen).toBe(300000);
    expect(last).toBe("300000");
    const kept = r.stderr.trimEnd().split("\n");
    expect(kept).toHaveLength(streamedStderrLines);
    expect(kept.at(-1)).toBe("300000");
    expect(kept[0]).toBe(String(300000 - streamedStderrLines + 1));
  });

  test("without a callback stderr is returned whole", async () => {
    const r = await execaRunner("sh", ["-c", "seq 1 1000 1>&2; exit 3"]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1000);
  });

  test("a command killed by its timeout is an error, whatever it exited with", async () => {
    await expect(
      execaRunner("sh", ["-c", "trap 'exit 255' TERM; while :; do sleep 0.1; done"], { timeoutMs: 500 }),
    ).rejects.toThrow(/timed out after 500 ms/);
  });
});
