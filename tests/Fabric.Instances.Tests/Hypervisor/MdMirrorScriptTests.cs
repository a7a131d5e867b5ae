using System.Diagnostics;
using Fabric.Core;
using Fabric.Instances.Disks;
using Fabric.Instances.Hypervisor;
using Fabric.Remote.Commands;

namespace Fabric.Instances.Tests.Hypervisor;

/// <summary>The md scripts run by a real <c>sh</c> exactly as the hypervisor gets them (the command's argument vector),
/// with a recording <c>mdadm</c> first on PATH: this machine's kernel has no md driver. The halves are block devices
/// that exist here (<c>/dev/loop0</c>, <c>/dev/loop1</c>); the fake mdadm never opens them.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MdMirrorScriptTests : IDisposable
{
    private const string FakeMdadm = """
        #!/bin/sh
        # Records its arguments; an array "exists" while its state file does.
        echo "$*" >> "$FAKE_MD/calls"
        case "$1" in
          --detail) [ -f "$FAKE_MD/active" ] ;;
          --assemble) [ -f "$FAKE_MD/superblocks" ] && touch "$FAKE_MD/active" ;;
          --examine) [ -f "$FAKE_MD/superblocks" ] ;;
          --create) touch "$FAKE_MD/superblocks" "$FAKE_MD/active" ;;
          --stop) [ -f "$FAKE_MD/stop-fails" ] && { echo "mdadm: Cannot get exclusive access to $2" >&2; exit 1; }; rm -f "$FAKE_MD/active" ;;
        esac
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-md-script-").FullName;

    public MdMirrorScriptTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "bin"));
        var mdadm = Path.Combine(_dir, "bin", "mdadm");
        File.WriteAllText(mdadm, FakeMdadm.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(mdadm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Root => Path.Combine(_dir, "run");

    private QemuSpec Spec(string halfB = "/dev/loop1") =>
        new("web", 1, 256, MacAddress.Parse("0e:00:00:00:00:01"), "/dev/md/web-disk", Accelerator.Tcg, "qemu64")
        {
            RunRoot = Root,
            Mirror = new MdMirror(Path.Combine(_dir, "md-web-disk"), "/dev/loop0", halfB),
        };

    private string[] Calls => File.Exists(Path.Combine(_dir, "calls")) ? File.ReadAllLines(Path.Combine(_dir, "calls")) : [];

    private async Task<(int Exit, string Error)> RunAsync(RemoteCommand command)
    {
        var start = new ProcessStartInfo(command.Arguments[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in command.Arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PATH"] = $"{Path.Combine(_dir, "bin")}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["FAKE_MD"] = _dir;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await error);
    }

    [Fact]
    public async Task AssembleMirror_FreshHalves_CreatedWithMetadataAtTheEndAndABitmapThenRecorded()
    {
        var (exit, error) = await RunAsync(QemuCommands.AssembleMirror(Spec()));

        Assert.True(exit == 0, error);
        var md = Spec().Mirror!.Device;
        Assert.Equal(
            [
                $"--detail {md}",
                $"--assemble --run {md} /dev/loop0 /dev/loop1",
                "--examine /dev/loop0",
                "--examine /dev/loop1",
                $"--create {md} --run --metadata=1.0 --level=1 --raid-devices=2 --assume-clean --bitmap=internal /dev/loop0 /dev/loop1",
            ],
            Calls);
        Assert.Equal(md, File.ReadAllText(Path.Combine(Root, "web", "md")).TrimEnd());
    }

    [Fact]
    public async Task AssembleMirror_HalvesWithSuperblocks_AssembledNeverCreated()
    {
        File.WriteAllText(Path.Combine(_dir, "superblocks"), "");

        var (exit, error) = await RunAsync(QemuCommands.AssembleMirror(Spec()));

        Assert.True(exit == 0, error);
        Assert.DoesNotContain(Calls, c => c.StartsWith("--create", StringComparison.Ordinal));
        Assert.Contains(Calls, c => c.StartsWith("--assemble --run", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AssembleMirror_RunTwice_SecondFindsItActiveAndRunsNothingElse()
    {
        Assert.Equal(0, (await RunAsync(QemuCommands.AssembleMirror(Spec()))).Exit);
        int before = Calls.Length;

        var (exit, error) = await RunAsync(QemuCommands.AssembleMirror(Spec()));

        Assert.True(exit == 0, error);
        Assert.Equal([$"--detail {Spec().Mirror!.Device}"], Calls.Skip(before));
    }

    [Fact]
    public async Task AssembleMirror_HalfNotVisible_FailsNamingItAndMdadmNeverRuns()
    {
        var (exit, error) = await RunAsync(QemuCommands.AssembleMirror(Spec(halfB: "/dev/etherd/e7.5")));

        Assert.NotEqual(0, exit);
        Assert.Contains("cannot see /dev/etherd/e7.5", error, StringComparison.Ordinal);
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task Kill_AssembledMirror_StoppedAndFolderRemoved()
    {
        Assert.Equal(0, (await RunAsync(QemuCommands.AssembleMirror(Spec()))).Exit);
        File.WriteAllText(Spec().Mirror!.Device, "");

        var (exit, error) = await RunAsync(QemuCommands.Kill("web", Root));

        Assert.True(exit == 0, error);
        Assert.Equal($"--stop {Spec().Mirror!.Device}", Calls[^1]);
        Assert.False(Directory.Exists(Path.Combine(Root, "web")));
    }

    [Fact]
    public async Task Kill_MirrorCannotBeStopped_FailsWithMdadmsWordsAndKeepsTheFolder()
    {
        Assert.Equal(0, (await RunAsync(QemuCommands.AssembleMirror(Spec()))).Exit);
        File.WriteAllText(Spec().Mirror!.Device, "");
        File.WriteAllText(Path.Combine(_dir, "stop-fails"), "");

        var (exit, error) = await RunAsync(QemuCommands.Kill("web", Root));

        Assert.NotEqual(0, exit);
        Assert.Contains("Cannot get exclusive access", error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, "web", "md")));
    }
}
