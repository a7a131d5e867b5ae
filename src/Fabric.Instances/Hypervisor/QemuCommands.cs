using System.Globalization;
using Fabric.Core;
using Fabric.Remote.Commands;

namespace Fabric.Instances.Hypervisor;

/// <summary>How a hypervisor runs guests: <c>kvm</c> in production, <c>tcg</c> (software emulation) in the lab.</summary>
public enum Accelerator
{
    Kvm,
    Tcg,
}

/// <summary>Where an instance's files live on its hypervisor: <c>/run/fabric/instances/NAME/</c> with <c>qemu.pid</c>,
/// <c>serial.log</c> and <c>qmp.sock</c>. The name is a validated host name, so it is one path component. A hypervisor
/// may have another root (label <c>fabric.instances/run-dir</c>): the lab's hypervisors are network namespaces that
/// share one file system.</summary>
public sealed record InstancePaths
{
    public const string Root = "/run/fabric/instances";

    public InstancePaths(string name, string root = Root)
    {
        if (!HostName.TryNormalize(name, out var normal, out var reason))
        {
            throw new ArgumentException($"'{name}' is not an instance name: {reason}", nameof(name));
        }

        if (CheckRoot(root) is { } problem)
        {
            throw new ArgumentException(problem, nameof(root));
        }

        Folder = $"{root.TrimEnd('/')}/{normal}";
    }

    public string Folder { get; }

    public string PidFile => $"{Folder}/qemu.pid";

    public string SerialLog => $"{Folder}/serial.log";

    public string QmpSocket => $"{Folder}/qmp.sock";

    /// <summary>Why <paramref name="root"/> cannot hold instances' folders, or null: an absolute path of plain
    /// components (letters, digits, <c>._-</c>), at most 64 characters (a Unix socket path has room for 107).</summary>
    public static string? CheckRoot(string? root)
    {
        if (string.IsNullOrEmpty(root) || root[0] != '/' || root.Length > 64)
        {
            return $"'{root}' is not an absolute folder path of at most 64 characters";
        }

        var parts = root.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or ".." || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
        {
            return $"'{root}' must be made of plain folder names (letters, digits, '.', '_', '-'), not '/', '.' or '..'";
        }

        return null;
    }
}

/// <summary>Everything qemu needs to run one instance on one hypervisor.</summary>
/// <param name="DiskPath">The instance's disk on this hypervisor: a block device in production (<c>/dev/etherd/eS.N</c>
/// or an md array), the storage node's volume file in the lab.</param>
/// <param name="CpuModel">The guest CPU model; the same on source and target of a migration.</param>
/// <param name="Incoming">True for the target of a live migration: qemu waits (<c>-incoming defer</c>) until
/// <c>migrate-incoming</c>.</param>
public sealed record QemuSpec(string Name, int VCpus, long MemoryMiB, MacAddress Mac, string DiskPath, Accelerator Accelerator, string CpuModel, bool Incoming = false)
{
    /// <summary>The folder holding instances' folders on this hypervisor (<see cref="InstancePaths.Root"/> unless its
    /// label says otherwise).</summary>
    public string RunRoot { get; init; } = InstancePaths.Root;

    /// <summary>Where the tap goes once qemu runs (<see cref="QemuCommands.Plug"/>); null leaves it as qemu made it.</summary>
    public SwitchPort? Port { get; init; }

    /// <summary>The md RAID1 the hypervisor assembles before qemu starts (<see cref="QemuCommands.AssembleMirror"/>) and
    /// stops after it is gone (<see cref="QemuCommands.Kill"/>); null when <see cref="DiskPath"/> is opened as it is.</summary>
    public Disks.MdMirror? Mirror { get; init; }

    public InstancePaths Paths => new(Name, RunRoot);

    /// <summary>The tap device: <c>fab</c> and the MAC's last four bytes, within Linux's 15 characters and unique
    /// wherever the MAC is.</summary>
    public string TapName => "fab" + Mac.ToHexString()[4..];
}

/// <summary>The commands the hypervisor driver runs over SSH. Every value is an argument (<see cref="RemoteCommand"/>),
/// never spliced into shell text; values inside qemu's own <c>key=value,...</c> options have their commas doubled.</summary>
public static class QemuCommands
{
    public const string Qemu = "qemu-system-x86_64";

    /// <summary>qemu's arguments for <paramref name="spec"/>: daemonized, pid file, serial console to a file, QMP on a
    /// Unix socket, virtio disk and NIC on the instance's tap.</summary>
    public static IReadOnlyList<string> Arguments(QemuSpec spec)
    {
        var paths = spec.Paths;
        var cache = spec.DiskPath.StartsWith("/dev/", StringComparison.Ordinal) ? "none" : "writethrough";
        List<string> args =
        [
            "-name", $"guest={Opt(spec.Name)}",
            "-accel", spec.Accelerator == Accelerator.Kvm ? "kvm" : "tcg",
            "-cpu", spec.CpuModel,
            "-smp", spec.VCpus.ToString(CultureInfo.InvariantCulture),
            "-m", string.Create(CultureInfo.InvariantCulture, $"{spec.MemoryMiB}M"),
            "-drive", $"file={Opt(spec.DiskPath)},format=raw,if=virtio,cache={cache}",
            "-netdev", $"tap,id=net0,ifname={spec.TapName},script=no,downscript=no",
            "-device", $"virtio-net-pci,netdev=net0,mac={spec.Mac}",
            "-display", "none",
            "-serial", $"file:{Opt(paths.SerialLog)}",
            "-qmp", $"unix:{Opt(paths.QmpSocket)},server=on,wait=off",
            "-pidfile", paths.PidFile,
            "-daemonize",
        ];
        if (spec.Incoming)
        {
            args.AddRange(["-incoming", "defer"]);
        }

        return args;
    }

    /// <summary>Makes the instance's folder and starts qemu (which daemonizes once its sockets are ready).</summary>
    public static RemoteCommand Launch(QemuSpec spec) =>
        RemoteCommand.Script("d=$1; shift; mkdir -p -- \"$d\" && exec \"$@\"", [spec.Paths.Folder, Qemu, .. Arguments(spec)]);

    /// <summary>Puts the running qemu's tap on the hypervisor's switch and records the port in the instance's folder
    /// (<c>port</c>), so <see cref="Kill"/> takes it off again. Idempotent: an OVS port is added with <c>--may-exist</c>
    /// and its tag set again; Linux bridge and VLAN sub-interface are made only when missing.</summary>
    public static RemoteCommand Plug(QemuSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var port = spec.Port ?? throw new ArgumentException("the spec has no switch port", nameof(spec));
        var vlan = port.Vlan?.ToString(CultureInfo.InvariantCulture) ?? "";
        return port.Kind == SwitchKind.Ovs
            ? RemoteCommand.Script(PlugOvs, spec.TapName, port.Bridge, vlan, spec.Paths.Folder)
            : RemoteCommand.Script(PlugLinux, spec.TapName, port.Bridge, vlan, spec.Paths.Folder, port.Uplink);
    }

    /// <summary>Assembles the instance's md RAID1 over both AoE halves before qemu starts, and records it in the
    /// instance's folder (<c>md</c>) so <see cref="Kill"/> stops it. Idempotent: an array already active is left as it is.
    /// Otherwise it asks the AoE driver to discover the halves (up to 10 s; a hypervisor that cannot see both fails,
    /// naming the half) and runs <c>mdadm --assemble --run</c>; when neither half has an md superblock yet (a fresh pair of
    /// identical copies of an image) <c>mdadm --create --metadata=1.0 --assume-clean --bitmap=internal</c> writes them at
    /// the end of the halves, as a node's <c>aoe-md</c> root does in its initramfs.</summary>
    public static RemoteCommand AssembleMirror(QemuSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var mirror = spec.Mirror ?? throw new ArgumentException("the spec has no md mirror", nameof(spec));
        return RemoteCommand.Script(AssembleMd, mirror.Device, mirror.HalfA, mirror.HalfB, spec.Paths.Folder);
    }

    /// <summary>Arguments: the md device, half A, half B, the instance's folder.</summary>
    internal const string AssembleMd = """
        md=$1 a=$2 b=$3 d=$4
        export MDADM_NO_UDEV=1
        mkdir -p -- "$d" || exit 1
        i=0
        while { [ ! -b "$a" ] || [ ! -b "$b" ]; } && [ $i -lt 20 ]; do
          [ -w /dev/etherd/discover ] && echo > /dev/etherd/discover
          sleep 0.5; i=$((i+1))
        done
        for h in "$a" "$b"; do
          [ -b "$h" ] || { echo "cannot see $h (half of $md): no such AoE device on this hypervisor" >&2; exit 1; }
        done
        if mdadm --detail "$md" >/dev/null 2>&1; then
          :
        elif mdadm --assemble --run "$md" "$a" "$b" >"$d/mdadm.log" 2>&1; then
          :
        elif ! mdadm --examine "$a" >/dev/null 2>&1 && ! mdadm --examine "$b" >/dev/null 2>&1; then
          mdadm --create "$md" --run --metadata=1.0 --level=1 --raid-devices=2 --assume-clean --bitmap=internal "$a" "$b" >>"$d/mdadm.log" 2>&1             || { cat "$d/mdadm.log" >&2; exit 1; }
        else
          cat "$d/mdadm.log" >&2; echo "cannot assemble $md from $a and $b" >&2; exit 1
        fi
        printf '%s\n' "$md" > "$d/md"
        """;

    /// <summary>Arguments: tap, bridge, VLAN ('' for none), the instance's folder.</summary>
    internal const string PlugOvs = """
        t=$1 br=$2 vlan=$3 d=$4
        if [ -n "$vlan" ]; then
          ovs-vsctl --may-exist add-port "$br" "$t" -- set port "$t" tag="$vlan" || exit 1
        else
          ovs-vsctl --may-exist add-port "$br" "$t" -- clear port "$t" tag || exit 1
        fi
        ip link set "$t" up || exit 1
        printf 'ovs %s %s\n' "$br" "$t" > "$d/port"
        """;

    /// <summary>Arguments: tap, bridge of untagged networks, VLAN ('' for none), the instance's folder, uplink.</summary>
    internal const string PlugLinux = """
        t=$1 br=$2 vlan=$3 d=$4 up=$5
        if [ -n "$vlan" ]; then
          dev=$up.$vlan br=br$vlan
          ip link show "$dev" >/dev/null 2>&1 || ip link add link "$up" name "$dev" type vlan id "$vlan" || exit 1
          ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge || exit 1
          ip link set "$dev" master "$br" && ip link set "$dev" up || exit 1
        else
          ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge || exit 1
        fi
        ip link set "$br" up && ip link set "$t" master "$br" && ip link set "$t" up || exit 1
        printf 'linux %s %s\n' "$br" "$t" > "$d/port"
        """;

    /// <summary>The QMP channel: <c>socat</c> joins the SSH channel's stdin/stdout to the instance's QMP socket.</summary>
    public static RemoteCommand QmpChannel(string name, string root = InstancePaths.Root) =>
        RemoteCommand.Of("socat", "-", $"UNIX-CONNECT:{new InstancePaths(name, root).QmpSocket}");

    /// <summary>Ends the instance's qemu (TERM, then KILL after 5 s), takes its tap off the OVS bridge <see cref="Plug"/>
    /// put it on (a Linux bridge loses the tap with qemu), stops the md array <see cref="AssembleMirror"/> assembled, and
    /// removes its folder; succeeds when none runs. When the array cannot be stopped the folder stays (a later kill tries
    /// again) and the command fails with mdadm's words.</summary>
    public static RemoteCommand Kill(string name, string root = InstancePaths.Root) => RemoteCommand.Script(
        "d=$1; p=$(cat -- \"$d/qemu.pid\" 2>/dev/null) || p=; "
        + "if [ -n \"$p\" ] && kill -0 \"$p\" 2>/dev/null; then kill \"$p\"; i=0; "
        + "while kill -0 \"$p\" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -9 \"$p\" 2>/dev/null; fi; "
        + "if [ -f \"$d/port\" ] && read -r k br t < \"$d/port\" && [ \"$k\" = ovs ]; then ovs-vsctl --if-exists del-port \"$br\" \"$t\"; fi; "
        + "if [ -f \"$d/md\" ] && read -r md < \"$d/md\" && [ -e \"$md\" ]; then MDADM_NO_UDEV=1 mdadm --stop \"$md\" >&2 || exit 1; fi; "
        + "rm -rf -- \"$d\"",
        new InstancePaths(name, root).Folder);

    /// <summary>The last <paramref name="bytes"/> bytes of the serial console.</summary>
    public static RemoteCommand ConsoleTail(string name, int bytes = 65536, string root = InstancePaths.Root) =>
        RemoteCommand.Of("tail", "-c", bytes.ToString(CultureInfo.InvariantCulture), new InstancePaths(name, root).SerialLog);

    /// <summary>Whether the instance's qemu runs: exits 0 when its pid file names a live process, 1 otherwise. A zombie
    /// (a qemu that died and that nobody reaped yet: <c>kill -0</c> still succeeds on it) is not running.</summary>
    public static RemoteCommand IsRunning(string name, string root = InstancePaths.Root) => RemoteCommand.Script(
        "p=$(cat -- \"$1/qemu.pid\" 2>/dev/null) && [ -n \"$p\" ] && kill -0 \"$p\" 2>/dev/null || exit 1; "
        + "s=$(cat \"/proc/$p/stat\" 2>/dev/null) || exit 0; case \"${s##*) }\" in Z*) exit 1;; esac",
        new InstancePaths(name, root).Folder);

    /// <summary>A value inside qemu's <c>key=value,...</c> option syntax: a comma is written twice.</summary>
    public static string Opt(string value) => value.Replace(",", ",,", StringComparison.Ordinal);
}
