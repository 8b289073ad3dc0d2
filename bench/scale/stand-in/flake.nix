{
  # The scale benchmark's stand-in for a flake of many NixOS systems (bench/scale/closures.ts).
  # Evaluating a real system costs seconds, most of it shared work (nixpkgs, the module system)
  # that a fresh evaluator repeats every time. Here that shared work is a deliberately expensive
  # pure computation, `heavy`, calibrated by the benchmark (rounds.nix) to about 2 s; each of the
  # 16 closures depends on it and differs from the others by its index. Builds use the host's
  # static busybox (copied to tools/), like the test fixtures: there is no nixpkgs here.
  outputs =
    _:
    let
      system = "x86_64-linux";
      bb = "${./tools}/busybox";
      rounds = import ./rounds.nix;
      step =
        acc: x:
        let
          s = acc * 31 + x;
        in
        s - (s / 1000003) * 1000003;
      round = seed: builtins.foldl' step seed (builtins.genList (x: x) 100000);
      heavy = builtins.foldl' (acc: r: round (acc + r)) 0 (builtins.genList (x: x) rounds);
      closure =
        i:
        derivation {
          name = "nixlab-stand-in-${toString i}";
          inherit system;
          builder = bb;
          seed = toString (heavy + i);
          args = [
            "sh"
            "-c"
            "${bb} mkdir -p $out && echo $seed > $out/seed"
          ];
        };
    in
    {
      # For calibration: the shared work alone.
      heavy = heavy;
      packages.${system} = builtins.listToAttrs (
        builtins.genList (i: {
          name = "item${toString i}";
          value = closure i;
        }) 16
      );
    };
}
