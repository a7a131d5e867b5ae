using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;

namespace Fabric.Remote.Tests.Testing;

public sealed class FakeRemoteChannelTests
{
    private static readonly SshTarget Target = new("10.0.0.5", 22, "root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe");

    [Fact]
    public async Task OpenChannelAsync_ScriptedEcho_BytesBothWaysAndExitCode()
    {
        var hosts = new FakeRemoteHosts();
        hosts.Host(Target).OnChannel(c => c.Arguments[0] == "socat", async (peer, token) =>
        {
            await peer.FromCaller.CopyToAsync(peer.ToCaller, token);
            return 7;
        });

        await using var channel = await hosts.For(Target).OpenChannelAsync(RemoteCommand.Of("socat", "-", "UNIX-CONNECT:/run/x.sock"));
        await channel.Input.WriteAsync(new byte[] { 0, 1, 2, 255 });
        await channel.CompleteInputAsync();
        using var read = new MemoryStream();
        await channel.Output.CopyToAsync(read);
        var result = await channel.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new byte[] { 0, 1, 2, 255 }, read.ToArray());
        Assert.Equal(7, result.ExitCode);
        Assert.Equal(["socat - UNIX-CONNECT:/run/x.sock"], hosts.Host(Target).CommandLines);
    }

    [Fact]
    public async Task DisposeAsync_ScriptIgnoringEndOfInput_ScriptCancelled()
    {
        var hosts = new FakeRemoteHosts();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hosts.Host(Target).OnChannel(_ => true, async (_, token) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, token);
                return 0;
            }
            finally
            {
                stopped.SetResult();
            }
        });

        var channel = await hosts.For(Target).OpenChannelAsync(RemoteCommand.Of("sleep", "60"));
        await channel.DisposeAsync();

        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(channel.Completion.IsCanceled);
    }

    [Fact]
    public async Task OpenChannelAsync_NoRule_ExitsZeroWithNoOutput()
    {
        var hosts = new FakeRemoteHosts();

        await using var channel = await hosts.For(Target).OpenChannelAsync(RemoteCommand.Of("true"));

        Assert.Equal(0, (await channel.Completion.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode);
        Assert.Equal(0, await channel.Output.ReadAsync(new byte[16]));
    }

    [Fact]
    public async Task OpenChannelAsync_FailEverything_Throws()
    {
        var hosts = new FakeRemoteHosts();
        hosts.Host(Target).FailEverything(new RemoteHostException(RemoteFailure.Unreachable, Target.ToString(), "down"));

        var error = await Assert.ThrowsAsync<RemoteHostException>(() => hosts.For(Target).OpenChannelAsync(RemoteCommand.Of("cat")));

        Assert.Equal(RemoteFailure.Unreachable, error.Failure);
        Assert.Empty(hosts.Host(Target).Commands);
    }
}
