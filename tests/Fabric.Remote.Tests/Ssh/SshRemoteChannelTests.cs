using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;

namespace Fabric.Remote.Tests.Ssh;

/// <summary><see cref="IRemoteHost.OpenChannelAsync"/> over SSH.NET against a real OpenSSH sshd on 127.0.0.1.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshRemoteChannelTests(SshServerFixture fixture) : IClassFixture<SshServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private IRemoteHosts NewPool(RemoteOptions? options = null) =>
        RemoteHosts.Create(options ?? new RemoteOptions { KeyFolder = fixture.Identity.Folder }, fixture.Identity);

    [Fact]
    public async Task OpenChannelAsync_Cat_EchoesOneMebibyteByteExact()
    {
        await using var pool = NewPool();
        var sent = RandomNumberGenerator.GetBytes(1024 * 1024);

        await using var channel = await pool.For(fixture.Target).OpenChannelAsync(RemoteCommand.Of("cat"));
        var reading = Task.Run(async () =>
        {
            using var received = new MemoryStream();
            await channel.Output.CopyToAsync(received);
            return received.ToArray();
        });
        for (int offset = 0; offset < sent.Length; offset += 50_000)
        {
            await channel.Input.WriteAsync(sent.AsMemory(offset, Math.Min(50_000, sent.Length - offset)));
        }

        await channel.CompleteInputAsync();
        var received = await reading.WaitAsync(Patience);
        var result = await channel.Completion.WaitAsync(Patience);

        Assert.Equal(sent.Length, received.Length);
        Assert.True(sent.AsSpan().SequenceEqual(received), "the bytes came back changed");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StandardError);
    }

    [Fact]
    public async Task OpenChannelAsync_SocatToUnixSocket_ReachesLocalServer()
    {
        await using var pool = NewPool();
        var socketPath = Path.Combine(fixture.Scratch(), "peer.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        var server = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await using var stream = new NetworkStream(peer, ownsSocket: false);
            await stream.WriteAsync("{\"greeting\":1}\n"u8.ToArray());
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var line = await reader.ReadLineAsync();
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"got {line}\n"));
            return line;
        });

        await using var channel = await pool.For(fixture.Target).OpenChannelAsync(RemoteCommand.Of("socat", "-", $"UNIX-CONNECT:{socketPath}"));
        using var fromPeer = new StreamReader(channel.Output, Encoding.UTF8);
        var greeting = await fromPeer.ReadLineAsync().WaitAsync(Patience);
        await channel.Input.WriteAsync("hello over ssh\n"u8.ToArray());
        var answer = await fromPeer.ReadLineAsync().WaitAsync(Patience);

        Assert.Equal("{\"greeting\":1}", greeting);
        Assert.Equal("got hello over ssh", answer);
        Assert.Equal("hello over ssh", await server.WaitAsync(Patience));
        Assert.Equal(0, (await channel.Completion.WaitAsync(Patience)).ExitCode);
    }

    [Fact]
    public async Task Completion_CommandExits_ExitCodeStandardErrorAndOutputEnds()
    {
        await using var pool = NewPool();
        var errors = new List<string>();

        await using var channel = await pool.For(fixture.Target).OpenChannelAsync(
            RemoteCommand.Script("read -r line; echo \"out $line\"; echo \"bad $line\" >&2; exit 3"),
            new RemoteChannelOptions(Error: line => { lock (errors) { errors.Add(line); } }));
        await channel.Input.WriteAsync("x\n"u8.ToArray());
        using var reader = new StreamReader(channel.Output, Encoding.UTF8);
        var output = await reader.ReadToEndAsync().WaitAsync(Patience);
        var result = await channel.Completion.WaitAsync(Patience);

        Assert.Equal("out x\n", output);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("bad x\n", result.StandardError);
        Assert.Equal(["bad x"], errors);
    }

    [Fact]
    public async Task DisposeAsync_CommandIgnoringEndOfInput_StoppedOnTheNode()
    {
        await using var pool = NewPool();
        var pidFile = Path.Combine(fixture.Scratch(), "pid");

        var channel = await pool.For(fixture.Target).OpenChannelAsync(RemoteCommand.Script("echo $$ > \"$1\"; exec sleep 60 </dev/null", pidFile));
        await WaitForFileAsync(pidFile);
        await channel.DisposeAsync().AsTask().WaitAsync(Patience);

        await SshRemoteHostTests.AssertProcessEndsAsync(pidFile, fixture.Server);
    }

    [Fact]
    public async Task Completion_Timeout_TimesOutAndStopsTheCommand()
    {
        await using var pool = NewPool();
        var pidFile = Path.Combine(fixture.Scratch(), "pid");

        await using var channel = await pool.For(fixture.Target).OpenChannelAsync(
            RemoteCommand.Script("echo $$ > \"$1\"; exec sleep 60", pidFile), new RemoteChannelOptions(Timeout: TimeSpan.FromSeconds(2)));
        var timedOut = await Assert.ThrowsAsync<RemoteCommandTimeoutException>(() => channel.Completion.WaitAsync(Patience));

        Assert.Equal(TimeSpan.FromSeconds(2), timedOut.Timeout);
        Assert.Equal(0, await channel.Output.ReadAsync(new byte[16]).AsTask().WaitAsync(Patience));
        await SshRemoteHostTests.AssertProcessEndsAsync(pidFile, fixture.Server);
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            // The channel is gone: a write fails plainly (SSH.NET's own exceptions do not leak).
            for (int i = 0; i < 10; i++)
            {
                await channel.Input.WriteAsync(new byte[1024]);
                await Task.Delay(100);
            }
        });
    }

    [Fact]
    public async Task Completion_Cancelled_StopsTheCommand()
    {
        await using var pool = NewPool();
        var pidFile = Path.Combine(fixture.Scratch(), "pid");
        using var cancel = new CancellationTokenSource();

        await using var channel = await pool.For(fixture.Target).OpenChannelAsync(RemoteCommand.Script("echo $$ > \"$1\"; exec sleep 60", pidFile), cancellationToken: cancel.Token);
        await WaitForFileAsync(pidFile);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.Completion.WaitAsync(Patience));
        await SshRemoteHostTests.AssertProcessEndsAsync(pidFile, fixture.Server);
    }

    [Fact]
    public async Task OpenChannelAsync_HostKeyMismatch_RunsNothing()
    {
        await using var pool = NewPool();
        var marker = Path.Combine(fixture.Scratch(), "ran");
        var otherKey = await OpenSshServer.NewEd25519PublicKeyAsync();

        await Assert.ThrowsAsync<HostKeyMismatchException>(() =>
            pool.For(fixture.Target with { PinnedHostKey = otherKey }).OpenChannelAsync(RemoteCommand.Of("touch", marker)));

        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task OpenChannelAsync_NonPositiveTimeout_RefusedBeforeConnecting(int seconds)
    {
        await using var pool = NewPool();
        int before = fixture.Server.Connections;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            pool.For(fixture.Target).OpenChannelAsync(RemoteCommand.Of("cat"), new RemoteChannelOptions(Timeout: TimeSpan.FromSeconds(seconds))));

        Assert.Equal(before, fixture.Server.Connections);
    }

    private static async Task WaitForFileAsync(string path)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            Assert.True(deadline.Elapsed < Patience, $"{path} was not made");
            await Task.Delay(50);
        }
    }
}
