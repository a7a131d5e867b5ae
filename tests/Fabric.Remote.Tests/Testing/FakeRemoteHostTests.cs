using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;

namespace Fabric.Remote.Tests.Testing;

public sealed class FakeRemoteHostTests
{
    private static readonly SshTarget Target = new("10.0.0.5", 22, "root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe");

    [Fact]
    public async Task RunAsync_ScriptedReplies_RecordedAndStreamed()
    {
        var hosts = new FakeRemoteHosts();
        hosts.Host(Target)
            .OnProgram("cat", FakeReply.Ok("md0 : active raid1\n[UU]\n"))
            .On(c => c.Arguments.Contains("--re-add"), FakeReply.Fail(1, "mdadm: busy"));
        var lines = new List<RemoteOutputLine>();
        var host = hosts.For(Target);

        var cat = await host.RunAsync(RemoteCommand.Of("cat", "/proc/mdstat"), new RemoteRunOptions(Output: lines.Add));
        var readd = await host.RunAsync(RemoteCommand.Of("mdadm", "/dev/md0", "--re-add", "/dev/etherd/e1.1"));
        var other = await host.RunAsync(RemoteCommand.Of("true"));

        Assert.Equal("md0 : active raid1\n[UU]\n", cat.StandardOutput);
        Assert.Equal(["md0 : active raid1", "[UU]"], lines.Select(l => l.Text));
        Assert.Equal((1, "mdadm: busy"), (readd.ExitCode, readd.StandardError));
        Assert.True(other.Succeeded);
        Assert.Equal(["cat /proc/mdstat", "mdadm /dev/md0 --re-add /dev/etherd/e1.1", "true"], hosts.Host(Target).CommandLines);
    }

    [Fact]
    public async Task FailEverything_HostKeyMismatch_NothingRecorded()
    {
        var hosts = new FakeRemoteHosts();
        var fake = hosts.Host(Target).FailEverything(new HostKeyMismatchException(Target.ToString(), HostKey.Parse(Target.PinnedHostKey!), "ssh-ed25519", "SHA256:other"));

        await Assert.ThrowsAsync<HostKeyMismatchException>(() => fake.RunAsync(RemoteCommand.Of("touch", "/tmp/x")));
        await Assert.ThrowsAsync<HostKeyMismatchException>(() => fake.WriteFileAsync("/etc/x", new byte[] { 1 }));

        Assert.Empty(fake.Commands);
        Assert.Empty(fake.Files);
    }

    [Fact]
    public async Task UploadAndWrite_Recorded_WithProgressAndMode()
    {
        var fake = new FakeRemoteHost(Target);
        var reports = new List<long>();

        await fake.UploadAsync(new MemoryStream(new byte[200_000]), "/srv/fabric/images/debian.ext4", new InlineProgress(reports.Add));
        await fake.WriteFileAsync("/etc/ganesha/ganesha.conf", "EXPORT {}\n"u8.ToArray(), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal(200_000, fake.Files["/srv/fabric/images/debian.ext4"].Length);
        Assert.Equal(200_000, reports[^1]);
        Assert.Equal("EXPORT {}\n"u8.ToArray(), fake.Files["/etc/ganesha/ganesha.conf"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, fake.ModeOf("/etc/ganesha/ganesha.conf"));
    }

    [Fact]
    public async Task RunAsync_RunsUntilCancelled_Cancelled()
    {
        var fake = new FakeRemoteHost(Target).OnProgram("sleep", new FakeReply(RunsUntilCancelled: true));
        using var cancel = new CancellationTokenSource();

        var run = fake.RunAsync(RemoteCommand.Of("sleep", "30"), cancellationToken: cancel.Token);
        Assert.False(run.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public void For_Unpinned_RefusedLikeTheRealPool()
    {
        var refused = Assert.Throws<RemoteHostException>(() => new FakeRemoteHosts().For(Target with { PinnedHostKey = null }));

        Assert.Equal(RemoteFailure.HostKeyNotPinned, refused.Failure);
    }

    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
