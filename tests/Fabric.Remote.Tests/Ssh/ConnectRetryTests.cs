using System.Net.Sockets;
using Fabric.Remote.Ssh;
using Microsoft.Extensions.Time.Testing;
using Renci.SshNet.Common;

namespace Fabric.Remote.Tests.Ssh;

public sealed class ConnectRetryTests
{
    [Fact]
    public async Task Build_RefusedConnection_RetriedAfterBackOffThenFails()
    {
        var time = new FakeTimeProvider();
        var delays = new List<TimeSpan>();
        var pipeline = ConnectRetry.Build(new RemoteOptions { ConnectRetries = 3, ConnectRetryDelay = TimeSpan.FromSeconds(1) }, time, (_, delay, _) => delays.Add(delay));
        int attempts = 0;

        var run = pipeline.ExecuteAsync(_ =>
        {
            Interlocked.Increment(ref attempts);
            throw new SocketException((int)SocketError.ConnectionRefused);
        }).AsTask();

        Assert.Equal(1, Volatile.Read(ref attempts));
        Assert.False(run.IsCompleted);
        for (int i = 0; i < 200 && !run.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(10);
        }

        var error = await Assert.ThrowsAsync<SocketException>(() => run);
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Equal(4, attempts);
        Assert.Equal(3, delays.Count);
        Assert.All(delays, d => Assert.True(d > TimeSpan.Zero));
    }

    [Theory]
    [MemberData(nameof(Final))]
    public async Task Build_MismatchOrRejectedKey_NotRetried(Exception failure)
    {
        var pipeline = ConnectRetry.Build(new RemoteOptions { ConnectRetries = 3 }, new FakeTimeProvider());
        int attempts = 0;

        await Assert.ThrowsAsync(failure.GetType(), () => pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw failure;
        }).AsTask());

        Assert.Equal(1, attempts);
    }

    public static TheoryData<Exception> Final => new()
    {
        new HostKeyMismatchException("root@10.0.0.5:22", Fabric.Remote.Hosts.HostKey.Parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe"), "ssh-ed25519", "SHA256:x"),
        new SshAuthenticationException("Permission denied (publickey)."),
        new OperationCanceledException(),
    };

    [Fact]
    public async Task Build_NoRetries_OneAttempt()
    {
        var pipeline = ConnectRetry.Build(new RemoteOptions { ConnectRetries = 0 }, new FakeTimeProvider());
        int attempts = 0;

        await Assert.ThrowsAsync<SshConnectionException>(() => pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw new SshConnectionException("reset");
        }).AsTask());

        Assert.Equal(1, attempts);
    }

    [Fact]
    public void Reason_TimeoutOverCancellation_SaysTimeout()
    {
        var error = new SshOperationTimeoutException("Connection has timed out.", new OperationCanceledException());

        Assert.Equal("no SSH answer in time (Connection has timed out.)", ConnectRetry.Reason(error));
    }

    [Fact]
    public void Reason_WrappedSocketError_InnermostMessage()
    {
        var error = new SshConnectionException("outer", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Contains("ConnectionRefused", ConnectRetry.Reason(error), StringComparison.Ordinal);
    }
}
