{
  # A SMOKE TEST, NOT NixOS. This flake builds, without nixpkgs, a tiny "system" that honours
  # nixlab's imageless contract (nix/README.md, "The boot.json contract"): a toplevel with `init`,
  # `initrd` and `boot.json`, booted with an external kernel and /nix/store + /lib/modules over
  # virtiofs. It lets the whole pipeline (Nix build → GC root → libvirt guest → console marker →
  # DHCP lease → SSH → a suite run) work on a machine with Nix and libvirt but no binary cache.
  # Its init is a busybox shell script, not systemd; its SSH server is Debian's dropbear, taking
  # root's authorized keys from the kernel command line (nixlab.ssh_key=<base64 of one key line>,
  # public keys only); its `nixlab-run-suite` is a stand-in that imitates an fstests section
  # (stand-in-suite.sh).
  description = "nixlab demo fixture closure (busybox; honours the imageless boot.json contract)";

  inputs = {
    # A folder holding a static `busybox` (scripts/setup/test-kernel: $NIXLAB_CACHE_DIR/busybox).
    busybox = {
      url = "path:/var/empty";
      flake = false;
    };
    # A folder of kernel modules plus an `order` file listing them in load order: what the initrd
    # needs to reach virtiofs (scripts/setup/test-kernel: kernel/<package>/boot-modules).
    bootModules = {
      url = "path:/var/empty";
      flake = false;
    };
    # A folder holding dropbear, dropbearkey and lib/ with the shared libraries and loader they
    # need (scripts/setup/test-kernel: $NIXLAB_CACHE_DIR/dropbear).
    sshd = {
      url = "path:/var/empty";
      flake = false;
    };
  };

  outputs =
    {
      self,
      busybox,
      bootModules,
      sshd,
    }:
    let
      system = "x86_64-linux";
      bb = "${busybox}/busybox";
      hostName = "nixlab-demo";

      # Stage 1, in the initrd: load the modules, mount the store and modules shares, hand over.
      stage1 = ''
        #!/bin/busybox sh
        /bin/busybox --install -s /bin
        mount -t devtmpfs dev /dev
        exec 0<>/dev/console 1>&0 2>&0
        mount -t proc proc /proc
        mount -t sysfs sys /sys
        while read -r m; do insmod "/modules/$m"; done < /modules/order
        mkdir -p /nix/store /lib/modules
        mount -t virtiofs -o ro store /nix/store || echo "NIXLAB-DEMO-ERROR no store share"
        mount -t virtiofs -o ro modules /lib/modules || echo "NIXLAB-DEMO-ERROR no modules share"
        for arg in $(cat /proc/cmdline); do case "$arg" in init=*) init="''${arg#init=}" ;; esac; done
        exec "$init"
      '';

      # Stage 2, from the store: say hello on the console, take a DHCP lease, stay up.
      stage2 = ''
        #!${bb} sh
        export PATH=/bin
        echo "NIXLAB-DEMO-BOOTED ${hostName} (busybox fixture, not NixOS)"
        echo "kernel $(uname -r), store and modules over virtiofs: $(ls /lib/modules)"
        hostname ${hostName}
        ip link set lo up
        for dev in /sys/class/net/e*; do
          dev=''${dev##*/}
          ip link set "$dev" up
          # A discover sent before the link is up is lost, and the next one is a pause away: wait
          # (at most 2 s) for the carrier, then ask every second.
          i=0; while [ "$(cat /sys/class/net/$dev/operstate)" != up ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
          printf '#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/''${mask:-24}" dev "$interface" && echo "NIXLAB-DEMO-IP $ip"\nexit 0\n' > /bin/lease
          chmod +x /bin/lease
          udhcpc -i "$dev" -t 60 -T 1 -s /bin/lease -b -p /run-udhcpc.pid
        done

        # SSH: dropbear finds its libraries where Debian keeps them; root's keys come from the
        # kernel command line; the host key is made at boot (it never leaves the guest).
        mkdir -p /run /etc/dropbear /root/.ssh /lib64 /dev/pts /var/tmp
        mount -t devpts devpts /dev/pts
        ln -s ${sshd}/lib /lib/x86_64-linux-gnu
        ln -s ${sshd}/lib/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
        echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
        echo 'root:x:0:' > /etc/group
        chmod 700 /root /root/.ssh
        for arg in $(cat /proc/cmdline); do
          case "$arg" in nixlab.ssh_key=*) echo "''${arg#nixlab.ssh_key=}" | base64 -d >> /root/.ssh/authorized_keys && echo >> /root/.ssh/authorized_keys ;; esac
        done
        chmod 600 /root/.ssh/authorized_keys 2>/dev/null
        ln -s ${placeholder "out"}/bin/nixlab-run-suite /bin/nixlab-run-suite
        hostkey=/etc/dropbear/dropbear_ed25519_host_key
        ${sshd}/dropbearkey -t ed25519 -f $hostkey > /dev/null 2>&1
        echo "NIXLAB-DEMO-HOSTKEY $(${sshd}/dropbearkey -y -f $hostkey | grep '^ssh-')"
        ${sshd}/dropbear -F -E -s -r $hostkey -p 22 -P /run/dropbear.pid &
        echo "NIXLAB-DEMO-SSH $(wc -l < /root/.ssh/authorized_keys 2>/dev/null || echo 0) authorized key lines"
        while :; do sleep 3600; done
      '';
    in
    {
      packages.${system}.default = derivation {
        name = "nixlab-demo-system";
        inherit system stage1 stage2;
        standIn = ./stand-in-suite.sh;
        builder = bb;
        modules = bootModules;
        passAsFile = [
          "stage1"
          "stage2"
        ];
        args = [
          "sh"
          "-c"
          ''
            set -e
            export PATH=/no-path
            bb=${bb}
            $bb mkdir -p $out root/bin root/modules root/dev root/proc root/sys root/tmp root/nix/store root/lib/modules
            $bb cp $bb root/bin/busybox
            $bb cp $modules/*.ko $modules/order root/modules/
            $bb cp $stage1Path root/init
            $bb chmod 755 root/init
            cd root && $bb find . | $bb cpio -o -H newc 2>/dev/null | $bb gzip -9 > $out/initrd && cd ..
            $bb cp $stage2Path $out/init
            $bb chmod 755 $out/init
            $bb mkdir -p $out/bin
            $bb cp $standIn $out/bin/nixlab-run-suite
            $bb chmod 755 $out/bin/nixlab-run-suite
            cmdline="root=tmpfs console=ttyS0,115200 console=hvc0 init=$out/init panic=-1 quiet"
            params=""
            for p in $cmdline; do params="$params''${params:+,}\"$p\""; done
            $bb printf '{"version":1,"toplevel":"%s","init":"%s/init","initrd":"%s/initrd","kernelParams":[%s],"cmdline":"%s","systemName":"${hostName}","nixosVersion":"none (busybox demo fixture, not NixOS)","virtiofs":[{"tag":"modules","mountPoint":"/lib/modules"},{"tag":"store","mountPoint":"/nix/store"}]}\n' \
              "$out" "$out" "$out" "$params" "$cmdline" > $out/boot.json
          ''
        ];
      };
    };
}
