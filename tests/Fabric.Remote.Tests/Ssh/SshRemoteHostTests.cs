using System.Diagnostics;
using System.Security.Cryptography;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Remote.Keys;

namespace Fabric.Remote.Tests.Ssh;

/// <summary>One real sshd (and Fabric's key, authorized there) shared by the tests of a class; each test makes its own pool.</summary>
public sealed class SshServerFixture : IAsyncLifetime
{
    public string Folder { get; private set; } = "";

    public SshIdentity Identity { get; private set; } = null!;

    public OpenSshServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Folder = Directory.CreateTempSubdirectory("fabric-remote-").FullName;
        Identity = SshIdentity.LoadOrCreate(Path.Combine(Folder, "ssh"));
        Server = await OpenSshServer.StartAsync(Identity.PublicKey);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }

    public SshTarget Target => new("127.0.0.1", Server.Port, OpenSshServer.User, Server.HostKey);

    /// <summary>A folder for files the remote commands make (the server runs on this machine).</summary>
    public string Scratch() => Directory.CreateDirectory(Path.Combine(Folder, "scratch-" + Guid.NewGuid().ToString("N")[..12])).FullName;
}

/// <summary><see cref="IRemoteHost"/> over SSH.NET against a real OpenSSH sshd on 127.0.0.1.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshRemoteHostTests(SshServerFixture fixture) : IClassFixture<SshServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private IRemoteHosts NewPool(RemoteOptions? options = null) =>
        RemoteHosts.Create(options ?? new RemoteOptions { KeyFolder = fixture.Identity.Folder }, fixture.Identity);

    [Fact]
    public async Task RunAsync_Command_ReturnsOutputExitCodeAndStreamsLines()
    {
        await using var pool = NewPool();
        var lines = new List<RemoteOutputLine>();

        var result = await pool.For(fixture.Target).RunAsync(
            RemoteCommand.Script("echo one; echo two; echo oops >&2"), new RemoteRunOptions(Output: line => { lock (lines) { lines.Add(line); } }));

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Succeeded);
        Assert.Equal("one\ntwo\n", result.StandardOutput);
        Assert.Equal("oops\n", result.StandardError);
        Assert.Equal(fixture.Target.ToString(), result.Target);
        Assert.Equal(
            [new(RemoteStream.StandardOutput, "one"), new(RemoteStream.StandardOutput, "two")],
            lines.Where(l => l.Stream == RemoteStream.StandardOutput));
        Assert.Equal([new RemoteOutputLine(RemoteStream.StandardError, "oops")], lines.Where(l => l.Stream == RemoteStream.StandardError));
    }

    [Fact]
    public async Task RunAsync_OutputBeforeExit_ReachesCallbackWhileRunning()
    {
        await using var pool = NewPool();
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = pool.For(fixture.Target).RunAsync(
            RemoteCommand.Script("echo started; sleep 5; echo done"), new RemoteRunOptions(Output: line => first.TrySetResult(line.Text)));

        Assert.Equal("started", await first.Task.WaitAsync(Patience));
        Assert.False(run.IsCompleted);
        Assert.Equal("started\ndone\n", (await run.WaitAsync(Patience)).StandardOutput);
    }

    [Fact]
    public async Task RunAsync_LargeOutput_EveryLineStreamedAndTheStartKept()
    {
        await using var pool = NewPool();
        int lines = 0;

        // 40,000 lines of 100 characters: 4 MB, four times what a result keeps.
        var result = await pool.For(fixture.Target).RunAsync(
            RemoteCommand.Script("i=0; line=$(printf '%0100d' 0); while [ $i -lt 40000 ]; do echo \"$line\"; i=$((i+1)); done"),
            new RemoteRunOptions(Output: _ => Interlocked.Increment(ref lines)));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(40_000, lines);
        Assert.InRange(result.StandardOutput.Length, RemoteCommandResult.MaxCapturedChars, RemoteCommandResult.MaxCapturedChars + 1);
        Assert.StartsWith(new string('0', 100) + "\n", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NonZeroExit_ReturnedAndEnsureSuccessThrows()
    {
        await using var pool = NewPool();

        var result = await pool.For(fixture.Target).RunAsync(RemoteCommand.Script("echo 'no such volume' >&2; exit 3"));

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
        var failed = Assert.Throws<RemoteCommandFailedException>(() => result.EnsureSuccess());
        Assert.Contains("exited 3: no such volume", failed.Message, StringComparison.Ordinal);
        Assert.Contains(fixture.Target.Address, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Timeout_StopsRemoteSleep()
    {
        await using var pool = NewPool();
        var pidFile = Path.Combine(fixture.Scratch(), "pid");
        var clock = Stopwatch.StartNew();

        var timedOut = await Assert.ThrowsAsync<RemoteCommandTimeoutException>(() => pool.For(fixture.Target).RunAsync(
            RemoteCommand.Script("echo $$ > \"$1\"; exec sleep 30", pidFile), new RemoteRunOptions(Timeout: TimeSpan.FromSeconds(2))));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");
        Assert.Equal(TimeSpan.FromSeconds(2), timedOut.Timeout);
        await AssertProcessEndsAsync(pidFile, fixture.Server);
    }

    [Fact]
    public async Task RunAsync_TimeoutOnTheInjectedClock_FiresWhenTheClockPassesIt()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var pool = RemoteHosts.Create(new RemoteOptions { KeyFolder = fixture.Identity.Folder }, fixture.Identity, time);
        var pidFile = Path.Combine(fixture.Scratch(), "pid");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = pool.For(fixture.Target).RunAsync(RemoteCommand.Script("echo $$ > \"$1\"; echo ready; exec sleep 30", pidFile),
            new RemoteRunOptions(Timeout: TimeSpan.FromMinutes(10), Output: _ => ready.TrySetResult()));
        await ready.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromMinutes(9));
        await Task.Delay(300);
        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));

        var timedOut = await Assert.ThrowsAsync<RemoteCommandTimeoutException>(() => run.WaitAsync(Patience));
        Assert.Equal(TimeSpan.FromMinutes(10), timedOut.Timeout);
        await AssertProcessEndsAsync(pidFile, fixture.Server);
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsRemoteSleep()
    {
        await using var pool = NewPool();
        var pidFile = Path.Combine(fixture.Scratch(), "pid");
        using var cancel = new CancellationTokenSource();

        var run = pool.For(fixture.Target).RunAsync(RemoteCommand.Script("echo $$ > \"$1\"; echo ready; exec sleep 30", pidFile),
            new RemoteRunOptions(Output: line => cancel.Cancel()), cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(25)));
        await AssertProcessEndsAsync(pidFile, fixture.Server);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task RunAsync_NonPositiveTimeout_RefusedBeforeConnecting(int seconds)
    {
        await using var pool = NewPool();
        int before = fixture.Server.Connections;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            pool.For(fixture.Target).RunAsync(RemoteCommand.Of("true"), new RemoteRunOptions(Timeout: TimeSpan.FromSeconds(seconds))));

        Assert.Equal(0, fixture.Server.Connections - before);
    }

    [Fact]
    public async Task RunAsync_ManyCommands_ShareOneConnection()
    {
        await using var pool = NewPool();
        int before = fixture.Server.Connections;

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal($"{i}\n", (await pool.For(fixture.Target).RunAsync(RemoteCommand.Of("echo", $"{i}"))).StandardOutput);
        }

        var parallel = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => pool.For(fixture.Target).RunAsync(RemoteCommand.Of("echo", $"p{i}"))));

        Assert.All(parallel, r => Assert.Equal(0, r.ExitCode));
        Assert.Same(pool.For(fixture.Target), pool.For(fixture.Target));
        Assert.Equal(1, fixture.Server.Connections - before);
    }

    [Fact]
    public async Task RunAsync_HostKeyMismatch_RunsNothing()
    {
        await using var pool = NewPool();
        var marker = Path.Combine(fixture.Scratch(), "ran");
        var otherKey = await OpenSshServer.NewEd25519PublicKeyAsync();
        int before = fixture.Server.Connections;

        var mismatch = await Assert.ThrowsAsync<HostKeyMismatchException>(() =>
            pool.For(fixture.Target with { PinnedHostKey = otherKey }).RunAsync(RemoteCommand.Of("touch", marker)));

        Assert.Equal(RemoteFailure.HostKeyMismatch, mismatch.Failure);
        Assert.Equal("ssh-host-key-mismatch", HostKeyMismatchException.EventKind);
        Assert.Equal(HostKey.Parse(fixture.Server.HostKey).Fingerprint, mismatch.PresentedFingerprint);
        Assert.Contains(HostKey.Parse(otherKey).Fingerprint, mismatch.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
        Assert.Equal(1, fixture.Server.Connections - before);
        Assert.DoesNotContain(fixture.Server.Log, line => line.StartsWith("Accepted publickey", StringComparison.Ordinal) && line.Contains("mismatch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_PinnedKeyTypeServerLacks_MismatchNotRetried()
    {
        await using var pool = NewPool(new RemoteOptions { KeyFolder = fixture.Identity.Folder, ConnectRetryDelay = TimeSpan.FromMilliseconds(20) });
        var marker = Path.Combine(fixture.Scratch(), "ran");
        int before = fixture.Server.Connections;

        // The server has only an ed25519 host key; the pin is an ECDSA key (Fabric's own public key will do).
        var mismatch = await Assert.ThrowsAsync<HostKeyMismatchException>(() =>
            pool.For(fixture.Target with { PinnedHostKey = fixture.Identity.PublicKey }).RunAsync(RemoteCommand.Of("touch", marker)));

        Assert.Equal(RemoteFailure.HostKeyMismatch, mismatch.Failure);
        Assert.Contains("the server has no ecdsa-sha2-nistp256 host key (it offers ssh-ed25519)", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal(1, fixture.Server.Connections - before);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task UploadAsync_HostKeyMismatch_WritesNothing()
    {
        await using var pool = NewPool();
        var path = Path.Combine(fixture.Scratch(), "image.raw");
        var otherKey = await OpenSshServer.NewEd25519PublicKeyAsync();

        await Assert.ThrowsAsync<HostKeyMismatchException>(() =>
            pool.For(fixture.Target with { PinnedHostKey = otherKey }).UploadAsync(new MemoryStream([1, 2, 3]), path));

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task For_UnpinnedTarget_RefusedWithoutConnecting(string? pin)
    {
        await using var pool = NewPool();
        int before = fixture.Server.Connections;

        var refused = Assert.Throws<RemoteHostException>(() => pool.For(fixture.Target with { PinnedHostKey = pin }));

        Assert.Equal(RemoteFailure.HostKeyNotPinned, refused.Failure);
        Assert.Contains("no host key is pinned", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, fixture.Server.Connections - before);
    }

    [Theory]
    [InlineData("a'; touch /tmp/pwned; '")]
    [InlineData("$(touch /tmp/pwned)")]
    [InlineData("`touch /tmp/pwned`")]
    [InlineData("x\"; touch /tmp/pwned; \"")]
    [InlineData("two words")]
    [InlineData("line\nbreak")]
    [InlineData("*")]
    [InlineData("")]
    [InlineData("'")]
    [InlineData("\\'\\\\")]
    [InlineData("-n")]
    public async Task RunAsync_HostileArgument_StaysOneArgument(string argument)
    {
        await using var pool = NewPool();
        var pwned = "/tmp/pwned";
        File.Delete(pwned);

        var result = await pool.For(fixture.Target).RunAsync(RemoteCommand.Of("printf", "[%s]\n", argument, "next"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"[{argument}]\n[next]\n", result.StandardOutput);
        Assert.False(File.Exists(pwned));
    }

    [Fact]
    public async Task RunAsync_ScriptArguments_ArePositionalParameters()
    {
        await using var pool = NewPool();
        var scratch = fixture.Scratch();
        var hostile = "v; touch " + Path.Combine(scratch, "pwned");

        var result = await pool.For(fixture.Target).RunAsync(RemoteCommand.Script("printf '%s|' \"$@\"; echo \"$#\"", hostile, "b c"));

        Assert.Equal($"{hostile}|b c|2\n", result.StandardOutput);
        Assert.Empty(Directory.GetFiles(scratch));
    }

    [Fact]
    public async Task UploadAsync_File_ReportsByteProgressAndRenamesAtTheEnd()
    {
        await using var pool = NewPool();
        var folder = fixture.Scratch();
        var path = Path.Combine(folder, "root.ext4");
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var reports = new List<long>();

        await pool.For(fixture.Target).UploadAsync(new MemoryStream(content), path, new ListProgress(reports));

        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal([path], Directory.GetFiles(folder));
        Assert.True(reports.Count >= 2, $"{reports.Count} progress reports");
        Assert.Equal(content.Length, reports[^1]);
        Assert.Equal(reports.Order(), reports);
    }

    [Fact]
    public async Task UploadAsync_MissingFolder_FailsWithPathAndLeavesNothing()
    {
        await using var pool = NewPool();
        var path = Path.Combine(fixture.Scratch(), "no-such-folder", "image.raw");

        var failed = await Assert.ThrowsAsync<RemoteHostException>(() => pool.For(fixture.Target).UploadAsync(new MemoryStream([1, 2, 3]), path));

        Assert.Equal(RemoteFailure.TransferFailed, failed.Failure);
        Assert.Contains(path, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteFileAsync_ExistingFile_ReplacedWholeWithMode()
    {
        await using var pool = NewPool();
        var folder = fixture.Scratch();
        var path = Path.Combine(folder, "ganesha.conf");
        var host = pool.For(fixture.Target);

        await host.WriteFileAsync(path, "EXPORT { Export_Id = 1; }\n"u8.ToArray());
        await host.WriteFileAsync(path, "EXPORT { Export_Id = 2; }\n"u8.ToArray(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        Assert.Equal("EXPORT { Export_Id = 2; }\n", await File.ReadAllTextAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public async Task RunAsync_ConnectionRefused_RetriedThenFailsWithAddressAndReason()
    {
        await using var pool = NewPool(new RemoteOptions
        {
            KeyFolder = fixture.Identity.Folder,
            ConnectRetries = 2,
            ConnectRetryDelay = TimeSpan.FromMilliseconds(20),
        });
        int port = OpenSshServer.FreePort();

        var unreachable = await Assert.ThrowsAsync<RemoteHostException>(() =>
            pool.For(fixture.Target with { Port = port }).RunAsync(RemoteCommand.Of("true")).WaitAsync(Patience));

        Assert.Equal(RemoteFailure.Unreachable, unreachable.Failure);
        Assert.Contains($"127.0.0.1:{port}", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("after 3 attempts", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("refused", unreachable.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RunAsync_ServerNeverSpeaks_TimesOutEachAttemptThenUnreachable()
    {
        // A hung SSH server: the kernel accepts the TCP connection, nothing ever answers.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        await using var pool = NewPool(new RemoteOptions
        {
            KeyFolder = fixture.Identity.Folder,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            ConnectRetries = 1,
            ConnectRetryDelay = TimeSpan.FromMilliseconds(20),
        });

        var unreachable = await Assert.ThrowsAsync<RemoteHostException>(() =>
            pool.For(fixture.Target with { Port = port }).RunAsync(RemoteCommand.Of("true")).WaitAsync(Patience));

        Assert.Equal(RemoteFailure.Unreachable, unreachable.Failure);
        Assert.Contains($"cannot connect to 127.0.0.1:{port} after 2 attempts", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("no SSH answer in time", unreachable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_KeyNotAuthorized_FailsOnceWithoutRetries()
    {
        var stranger = SshIdentity.LoadOrCreate(Path.Combine(fixture.Scratch(), "ssh"));
        await using var pool = RemoteHosts.Create(new RemoteOptions { KeyFolder = stranger.Folder, ConnectRetryDelay = TimeSpan.FromMilliseconds(20) }, stranger);
        int before = fixture.Server.Connections;

        var refused = await Assert.ThrowsAsync<RemoteHostException>(() => pool.For(fixture.Target).RunAsync(RemoteCommand.Of("true")));

        Assert.Equal(RemoteFailure.AuthenticationFailed, refused.Failure);
        Assert.Equal(1, fixture.Server.Connections - before);
    }

    [Fact]
    public async Task RunAsync_AfterServerDroppedIdleConnection_Reconnects()
    {
        await using var pool = NewPool();
        var host = pool.For(fixture.Target);
        Assert.Equal(0, (await host.RunAsync(RemoteCommand.Of("true"))).ExitCode);
        int before = fixture.Server.Connections;

        fixture.Server.DropConnections();
        await Task.Delay(300);

        Assert.Equal("again\n", (await host.RunAsync(RemoteCommand.Of("echo", "again"))).StandardOutput);
        Assert.Equal(1, fixture.Server.Connections - before);
    }

    [Fact]
    public async Task WriteFileAsync_AfterServerDroppedIdleConnection_ReconnectsAndWritesWhole()
    {
        // A node that rebooted (a router whose root is in RAM) resets the pooled SFTP connection at its first use.
        await using var pool = NewPool();
        var host = pool.For(fixture.Target);
        var path = Path.Combine(fixture.Scratch(), "fabric.nft");
        await host.WriteFileAsync(path, "table inet fabric {}\n"u8.ToArray());

        fixture.Server.DropConnections();
        await Task.Delay(300);
        await host.WriteFileAsync(path, "table inet fabric { chain forward {} }\n"u8.ToArray());

        Assert.Equal("table inet fabric { chain forward {} }\n", await File.ReadAllTextAsync(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!, ".fabric.nft.fabric-*").Append(path));
    }

    [Fact]
    public async Task UploadAsync_AfterServerDroppedIdleConnection_SeekableStreamSentAgainFromItsStart()
    {
        await using var pool = NewPool();
        var host = pool.For(fixture.Target);
        var path = Path.Combine(fixture.Scratch(), "image.img");
        await host.WriteFileAsync(path, "old"u8.ToArray());
        var content = new byte[256 * 1024];
        Random.Shared.NextBytes(content);

        fixture.Server.DropConnections();
        await Task.Delay(300);
        using var stream = new MemoryStream(content, writable: false);
        await host.UploadAsync(stream, path);

        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task RunAsync_ConnectionDroppedWhileRunning_FailsAsConnectionLostNotRetried()
    {
        await using var pool = NewPool();
        var host = pool.For(fixture.Target);
        var marker = Path.Combine(fixture.Scratch(), "runs");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var pidFile = Path.Combine(fixture.Scratch(), "pid");

        var run = host.RunAsync(RemoteCommand.Script("echo x >> \"$1\"; echo $$ > \"$2\"; echo started; exec sleep 30", marker, pidFile),
            new RemoteRunOptions(Output: _ => started.TrySetResult()));
        await started.Task.WaitAsync(Patience);
        fixture.Server.DropConnections();

        var lost = await Assert.ThrowsAsync<RemoteHostException>(() => run.WaitAsync(Patience));
        Assert.Equal(RemoteFailure.ConnectionLost, lost.Failure);
        Assert.Equal("x\n", await File.ReadAllTextAsync(marker));
        await AssertProcessEndsAsync(pidFile, fixture.Server);
    }

    /// <summary>The remote process ends well before its own 30 s are up.</summary>
    internal static async Task AssertProcessEndsAsync(string pidFile, OpenSshServer server)
    {
        Assert.True(File.Exists(pidFile), "the command did not start");
        var pid = (await File.ReadAllTextAsync(pidFile)).Trim();
        var deadline = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{pid}") && !IsZombie(pid))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), $"remote process {pid} still runs; sshd log:\n{string.Join('\n', server.Log.TakeLast(15))}");
            await Task.Delay(100);
        }
    }

    private static bool IsZombie(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    private sealed class ListProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
