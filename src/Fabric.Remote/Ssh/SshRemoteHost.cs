using System.Text;
using Fabric.Remote.Channels;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Remote.Keys;
using Microsoft.Extensions.Logging;
using Polly;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Fabric.Remote.Ssh;

/// <summary>One node reached over SSH.NET: a command connection and, when first needed, an SFTP connection, both kept
/// open with keep-alives and re-made when they drop. Before either is used the server must present the pinned host key.</summary>
internal sealed partial class SshRemoteHost : IRemoteHost, IAsyncDisposable
{
    private static readonly RemoteRunOptions NoOptions = new();

    /// <summary>SSH.NET's key exchange failure when the server offers no host key algorithm of the pinned type.</summary>
    private const string NoMatchingHostKey = "No matching host key algorithm";

    /// <summary>Runs every command under a small POSIX sh supervisor, because OpenSSH's sshd refuses the SSH "signal"
    /// request for root sessions ("session signalling requires privilege separation") and, without a terminal, does not
    /// stop a command when its channel closes. The command runs in the background in its own session (<c>setsid</c>, when
    /// the node has it) with stdin from /dev/null. A watcher, a loop of the shell's builtin <c>read</c>, reads the
    /// channel's stdin (kept on fd 3, as a background job of a non-interactive shell gets /dev/null as stdin), which ends
    /// when Fabric closes the channel (timeout, cancellation, lost connection); it then sends TERM, and KILL 3 s later, to
    /// the command's process group. The command's exit status is the supervisor's.</summary>
    internal const string Supervisor =
        "exec 3<&0\n" +
        "if command -v setsid >/dev/null 2>&1; then setsid \"$@\" </dev/null 3<&- & else \"$@\" </dev/null 3<&- & fi\n" +
        "c=$!\n" +
        "{ while read -r _ <&3; do :; done; kill -s TERM -- -$c $c; sleep 3; kill -s KILL -- -$c $c; } >/dev/null 2>&1 &\n" +
        "w=$!\n" +
        "exec 3<&-\n" +
        "wait $c; s=$?\n" +
        "kill $w 2>/dev/null\n" +
        "exit $s";

    /// <summary>The text sent to the server for a command: the supervisor with the command's own arguments.</summary>
    internal static string WireText(RemoteCommand command) => ShellQuoting.Join(["sh", "-c", Supervisor, "fabric-run", .. command.Arguments]);

    /// <summary>The supervisor of a streaming channel (<see cref="OpenChannelAsync"/>), where the channel's stdin is the
    /// command's own input and so cannot be watched by reading it. The command runs in the background in its own session
    /// with the channel's stdin (an explicit redirection: a background job would otherwise get /dev/null). A watcher writes
    /// one NUL byte to the channel's stderr every second, with SIGPIPE ignored; once the channel is closed (disposal,
    /// timeout, cancellation, lost connection) the write fails and it sends TERM, and KILL 3 s later, to the command's
    /// process group. The client drops the NUL bytes from stderr. The command's exit status is the supervisor's.</summary>
    internal const string ChannelSupervisor =
        "exec 3<&0\n" +
        "if command -v setsid >/dev/null 2>&1; then setsid \"$@\" <&3 3<&- & else \"$@\" <&3 3<&- & fi\n" +
        "c=$!\n" +
        "exec 3<&- </dev/null\n" +
        "{ trap '' PIPE; while printf '\\000' >&2; do sleep 1 2>/dev/null; done; kill -s TERM -- -$c $c; sleep 3; kill -s KILL -- -$c $c; } >/dev/null &\n" +
        "w=$!\n" +
        "wait $c; s=$?\n" +
        "kill $w 2>/dev/null\n" +
        "exit $s";

    /// <summary>The text sent to the server for a streaming channel.</summary>
    internal static string ChannelWireText(RemoteCommand command) => ShellQuoting.Join(["sh", "-c", ChannelSupervisor, "fabric-channel", .. command.Arguments]);

    private readonly HostKey _pin;
    private readonly SshIdentity _identity;
    private readonly RemoteOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _connect;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly SemaphoreSlim _channels;
    private Held<SshClient>? _ssh;
    private Held<SftpClient>? _sftp;
    private bool _disposed;

    public SshRemoteHost(SshTarget target, SshIdentity identity, RemoteOptions options, TimeProvider time, ILogger logger)
    {
        Target = target;
        _pin = HostKey.Parse(target.PinnedHostKey ?? throw new ArgumentException("the target has no pinned host key", nameof(target)));
        _identity = identity;
        _options = options;
        _time = time;
        _logger = logger;
        _channels = new SemaphoreSlim(options.MaxChannelsPerConnection, options.MaxChannelsPerConnection);
        _connect = ConnectRetry.Build(options, time, (attempt, delay, error) =>
            Log.Retrying(logger, Name, attempt, delay, error is null ? "unknown" : ConnectRetry.Reason(error)));
    }

    public SshTarget Target { get; }

    private string Name => Target.ToString();

    public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        options ??= NoOptions;
        var timeout = options.Timeout ?? _options.CommandTimeout;
        if (timeout <= TimeSpan.Zero || timeout.TotalMilliseconds > uint.MaxValue - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "a command timeout is a positive time span of at most 49 days");
        }

        await _channels.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The command's time starts when it is sent; connecting has its own timeout and retries.
            using var timeoutSource = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
            using var ssh = await StartAsync(command, WireText(command), linked.Token, cancellationToken).ConfigureAwait(false);
            long started = _time.GetTimestamp();
            timeoutSource.CancelAfter(timeout);
            var execution = ssh.Execution;
            var stdout = PumpAsync(ssh.Command.OutputStream, RemoteStream.StandardOutput, options.Output);
            var stderr = PumpAsync(ssh.Command.ExtendedOutputStream, RemoteStream.StandardError, options.Output);
            try
            {
                await execution.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                Log.CommandStopped(_logger, Name, command.ShellText, $"timeout {timeout}");
                throw new RemoteCommandTimeoutException(command, Name, timeout);
            }
            catch (OperationCanceledException)
            {
                Log.CommandStopped(_logger, Name, command.ShellText, "cancelled");
                throw;
            }
            catch (Exception e) when (e is SshConnectionException or SshException or ObjectDisposedException)
            {
                throw new RemoteHostException(RemoteFailure.ConnectionLost, Name, $"lost the connection while running '{command}': {ConnectRetry.Reason(e)}", e);
            }

            var output = await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(started);
            int exitCode = ssh.Command.ExitStatus ?? -1;
            Log.CommandExited(_logger, Name, command.ShellText, exitCode, elapsed);
            return new RemoteCommandResult(command, Name, exitCode, ssh.Command.ExitSignal, output, error, elapsed);
        }
        finally
        {
            _channels.Release();
        }
    }

    /// <summary>Opens a channel and sends the command. When the pooled connection turns out to be gone before the
    /// channel opens (the server or the network dropped it while idle), nothing has run: the connection is made again and
    /// the start is tried once more.</summary>
    private async Task<Started> StartAsync(RemoteCommand command, string wireText, CancellationToken execution, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var client = await ConnectedAsync(() => _ssh, h => _ssh = h, info => new SshClient(info), "command", cancellationToken).ConfigureAwait(false);
            var ssh = client.CreateCommand(wireText, Encoding.UTF8);
            try
            {
                return new Started(ssh, ssh.ExecuteAsync(execution));
            }
            catch (Exception e) when (e is SshConnectionException or SshException or ObjectDisposedException)
            {
                ssh.Dispose();
                if (attempt > 1)
                {
                    throw new RemoteHostException(RemoteFailure.ConnectionLost, Name, $"could not start '{command}': {ConnectRetry.Reason(e)}", e);
                }

                await ForgetAsync(client).ConfigureAwait(false);
            }
        }
    }

    private async Task ForgetAsync(SshClient client)
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_ssh?.Client == client)
            {
                _ssh.Dispose();
                _ssh = null;
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    public async Task<IRemoteChannel> OpenChannelAsync(RemoteCommand command, RemoteChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        options ??= new RemoteChannelOptions();
        var timeout = options.Timeout ?? _options.CommandTimeout;
        if (timeout != Timeout.InfiniteTimeSpan && (timeout <= TimeSpan.Zero || timeout.TotalMilliseconds > uint.MaxValue - 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "a channel timeout is a positive time span of at most 49 days, or infinite");
        }

        // A channel holds one of the connection's sessions for as long as it is open.
        await _channels.WaitAsync(cancellationToken).ConfigureAwait(false);
        var life = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, life.Token);
        Started? started = null;
        try
        {
            started = await StartAsync(command, ChannelWireText(command), linked.Token, cancellationToken).ConfigureAwait(false);
            var input = started.Command.CreateInputStream();
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                life.CancelAfter(timeout);
            }

            return new SshRemoteChannel(command, Name, started, input, life, linked, timeout, options.Error, _time, _logger, () => _channels.Release(), cancellationToken);
        }
        catch
        {
            started?.Dispose();
            linked.Dispose();
            life.Dispose();
            _channels.Release();
            throw;
        }
    }

    public async Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        long start = content.CanSeek ? content.Position : -1;
        long sent = await PutAsync(remotePath, null, (sftp, temporary) =>
            sftp.UploadFileAsync(content, temporary, new DirectProgress(progress), cancellationToken), Rewind, cancellationToken).ConfigureAwait(false);
        Log.Uploaded(_logger, Name, sent, remotePath);

        bool Rewind()
        {
            if (start < 0)
            {
                return false;
            }

            content.Position = start;
            return true;
        }
    }

    public async Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        await PutAsync(remotePath, mode, (sftp, temporary) => sftp.UploadFileAsync(stream, temporary, cancellationToken), () =>
        {
            stream.Position = 0;
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes through a temporary name next to the file, sets the mode, then renames it over the file
    /// (posix-rename@openssh.com, atomic on the server). The temporary file is removed when anything fails. When the
    /// pooled SFTP connection turns out to be gone (the node rebooted or dropped it while idle), it is made again and the
    /// write tried once more from the start, if <paramref name="rewind"/> can put the content back at its beginning: the
    /// file is only renamed into place whole, so a second try cannot leave half of it.</summary>
    private async Task<long> PutAsync(string remotePath, UnixFileMode? mode, Func<SftpClient, string, Task> write, Func<bool> rewind, CancellationToken cancellationToken)
    {
        CheckRemotePath(remotePath);
        for (int attempt = 1; ; attempt++)
        {
            var sftp = await ConnectedAsync(() => _sftp, h => _sftp = h, info => new SftpClient(info), "sftp", cancellationToken).ConfigureAwait(false);
            try
            {
                return await PutOnceAsync(sftp, remotePath, mode, write).ConfigureAwait(false);
            }
            catch (RemoteHostException e) when (e.Failure == RemoteFailure.ConnectionLost && attempt == 1 && !cancellationToken.IsCancellationRequested && rewind())
            {
                Log.Retrying(_logger, Name, attempt, TimeSpan.Zero, e.Message);
                await ForgetSftpAsync(sftp).ConfigureAwait(false);
            }
        }
    }

    private async Task ForgetSftpAsync(SftpClient client)
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_sftp?.Client == client)
            {
                _sftp.Dispose();
                _sftp = null;
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<long> PutOnceAsync(SftpClient sftp, string remotePath, UnixFileMode? mode, Func<SftpClient, string, Task> write)
    {
        int slash = remotePath.LastIndexOf('/');
        var temporary = $"{remotePath[..(slash + 1)]}.{remotePath[(slash + 1)..]}.fabric-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}";
        try
        {
            await write(sftp, temporary).ConfigureAwait(false);
            if (mode is { } bits)
            {
                // SSH.NET reads the number's decimal digits as octal ones: 0640 is passed as 640.
                sftp.ChangePermissions(temporary, short.Parse(Convert.ToString((int)bits & 0xfff, 8), System.Globalization.CultureInfo.InvariantCulture));
            }

            sftp.RenameFile(temporary, remotePath, isPosix: true);
            return sftp.GetAttributes(remotePath).Size;
        }
        catch (Exception e) when (e is not RemoteHostException)
        {
            TryDelete(sftp, temporary);
            if (e is OperationCanceledException)
            {
                throw;
            }

            if (e is SshConnectionException or ObjectDisposedException)
            {
                throw new RemoteHostException(RemoteFailure.ConnectionLost, Name, $"lost the connection while writing {remotePath}: {ConnectRetry.Reason(e)}", e);
            }

            if (e is SshException or IOException)
            {
                throw new RemoteHostException(RemoteFailure.TransferFailed, Name, $"cannot write {remotePath}: {ConnectRetry.Reason(e)}", e);
            }

            throw;
        }
    }

    private static void TryDelete(SftpClient sftp, string path)
    {
        try
        {
            if (sftp.IsConnected && sftp.Exists(path))
            {
                sftp.DeleteFile(path);
            }
        }
        catch (Exception e) when (e is SshException or IOException or ObjectDisposedException)
        {
            // The file is a hidden temporary one; a failed clean-up must not hide the first error.
        }
    }

    private static void CheckRemotePath(string remotePath)
    {
        if (string.IsNullOrEmpty(remotePath) || remotePath[0] != '/' || remotePath.EndsWith('/') || remotePath.Contains('\0', StringComparison.Ordinal)
            || remotePath.Split('/').Any(part => part is "." or ".."))
        {
            throw new ArgumentException($"'{remotePath}' is not an absolute remote file path", nameof(remotePath));
        }
    }

    /// <summary>The connected client, connecting first (with retries) when there is none or it dropped.</summary>
    private async Task<TClient> ConnectedAsync<TClient>(
        Func<Held<TClient>?> get, Action<Held<TClient>?> set, Func<ConnectionInfo, TClient> make, string kind, CancellationToken cancellationToken)
        where TClient : BaseClient
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (get() is { Client.IsConnected: true } current)
        {
            return current.Client;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (get() is { } held)
            {
                if (held.Client.IsConnected)
                {
                    return held.Client;
                }

                held.Dispose();
                set(null);
            }

            var fresh = await ConnectAsync(make, kind, cancellationToken).ConfigureAwait(false);
            set(fresh);
            return fresh.Client;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<Held<TClient>> ConnectAsync<TClient>(Func<ConnectionInfo, TClient> make, string kind, CancellationToken cancellationToken)
        where TClient : BaseClient
    {
        int attempts = 0;
        try
        {
            return await _connect.ExecuteAsync(async token =>
            {
                attempts++;
                var key = _identity.OpenPrivateKey();
                var authentication = new PrivateKeyAuthenticationMethod(Target.User, key);
                var info = new ConnectionInfo(Target.Host, Target.Port, Target.User, authentication) { Timeout = _options.ConnectTimeout };
                foreach (var algorithm in info.HostKeyAlgorithms.Keys.Where(a => !_pin.SignatureAlgorithms.Contains(a)).ToList())
                {
                    info.HostKeyAlgorithms.Remove(algorithm);
                }

                var client = make(info);
                var check = new HostKeyCheck(_pin);
                client.HostKeyReceived += check.OnHostKeyReceived;
                client.KeepAliveInterval = _options.KeepAliveInterval;
                var held = new Held<TClient>(client, authentication, key);
                try
                {
                    await client.ConnectAsync(token).ConfigureAwait(false);
                }
                catch (Exception) when (check.Rejected is { } presented)
                {
                    held.Dispose();
                    Log.HostKeyMismatch(_logger, Name, _pin.Fingerprint, HostKey.TypeOf(presented) ?? "?", HostKey.FingerprintOf(presented));
                    throw new HostKeyMismatchException(Name, _pin, HostKey.TypeOf(presented) ?? "unknown", HostKey.FingerprintOf(presented));
                }
                catch (SshConnectionException e) when (e.DisconnectReason == Renci.SshNet.Messages.Transport.DisconnectReason.KeyExchangeFailed
                    && e.Message.StartsWith(NoMatchingHostKey, StringComparison.Ordinal))
                {
                    held.Dispose();
                    var offered = e.Message[NoMatchingHostKey.Length..].Trim().TrimStart('(').TrimEnd(')').Replace("server offers ", "", StringComparison.Ordinal);
                    Log.HostKeyMismatch(_logger, Name, _pin.Fingerprint, offered, "(no key of the pinned type)");
                    throw HostKeyMismatchException.NoKeyOfPinnedType(Name, _pin, offered);
                }
                catch (SshAuthenticationException e)
                {
                    held.Dispose();
                    throw new RemoteHostException(RemoteFailure.AuthenticationFailed, Name, $"the server did not accept Fabric's key ({e.Message}); install it from GET /api/v1/ssh-key", e);
                }
                catch
                {
                    held.Dispose();
                    throw;
                }

                if (!check.Accepted)
                {
                    held.Dispose();
                    throw new RemoteHostException(RemoteFailure.HostKeyMismatch, Name, "the server's host key was not checked; nothing was run");
                }

                Log.Connected(_logger, kind, Name, _pin.Fingerprint);
                return held;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ConnectRetry.IsTransient(e))
        {
            throw new RemoteHostException(
                RemoteFailure.Unreachable, Name, $"cannot connect to {Target.Address} after {attempts} attempt{(attempts == 1 ? "" : "s")}: {ConnectRetry.Reason(e)}", e);
        }
    }

    /// <summary>Reads a command's output stream line by line until it ends, passing each line on and keeping the start.</summary>
    private static async Task<string> PumpAsync(Stream stream, RemoteStream kind, Action<RemoteOutputLine>? output)
    {
        var kept = new StringBuilder();
        try
        {
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                output?.Invoke(new RemoteOutputLine(kind, line));
                if (kept.Length < RemoteCommandResult.MaxCapturedChars)
                {
                    kept.Append(line.AsSpan(0, Math.Min(line.Length, RemoteCommandResult.MaxCapturedChars - kept.Length))).Append('\n');
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or SshException)
        {
            // The command was stopped and its streams closed under the reader.
        }

        return kept.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            _ssh?.Dispose();
            _sftp?.Dispose();
            _ssh = null;
            _sftp = null;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Compares the key the server presents with the pinned one; SSH.NET ends the handshake when it does not match.</summary>
    private sealed class HostKeyCheck(HostKey pin)
    {
        public bool Accepted { get; private set; }

        public byte[]? Rejected { get; private set; }

        public void OnHostKeyReceived(object? sender, HostKeyEventArgs e)
        {
            Accepted = pin.Matches(e.HostKey);
            e.CanTrust = Accepted;
            Rejected = Accepted ? null : e.HostKey;
        }
    }

    /// <summary>A command whose channel is open and exec request sent.</summary>
    internal sealed record Started(SshCommand Command, Task Execution) : IDisposable
    {
        public void Dispose() => Command.Dispose();
    }

    /// <summary>A client with the key objects it was given, disposed together.</summary>
    private sealed class Held<TClient>(TClient client, params IDisposable[] owned) : IDisposable
        where TClient : BaseClient
    {
        public TClient Client { get; } = client;

        public void Dispose()
        {
            try
            {
                Client.Dispose();
            }
            finally
            {
                foreach (var item in owned)
                {
                    item.Dispose();
                }
            }
        }
    }

    /// <summary>Reports on the caller's thread, in order (unlike <see cref="Progress{T}"/>).</summary>
    private sealed class DirectProgress(IProgress<long>? target) : IProgress<UploadFileProgressReport>
    {
        public void Report(UploadFileProgressReport value) => target?.Report((long)value.TotalBytesUploaded);
    }
}
